// Each conversation follows its growing answer the way a terminal does: it stays
// at the bottom while the reader is there, stops following as soon as they
// scroll up (a "Jump to latest" button appears), and opens at the latest turn.
// In a comparison every column's conversation does so on its own. Wide screens
// scroll each conversation box; narrow ones scroll the page (workbench.css), so
// a conversation's scroller is whichever of the two can scroll.
(function () {
  const NEAR = 48; // px from the end that still count as "at the bottom"
  const states = new WeakMap(); // scroller -> { following, pinned }

  function scrollers() {
    const found = new Set();
    for (const log of document.querySelectorAll("#columns .conversation")) {
      found.add(getComputedStyle(log).overflowY === "visible" ? document.scrollingElement : log);
    }
    return [...found];
  }
  function state(el) {
    if (!states.has(el)) states.set(el, { following: true, pinned: 0 });
    return states.get(el);
  }
  function atBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR;
  }
  function followAll() {
    for (const el of scrollers()) Object.assign(state(el), { following: true, pinned: 0 });
  }
  function showJump() {
    const behind = scrollers().some((el) => !state(el).following && !atBottom(el));
    document.getElementById("jump").hidden = !behind;
  }
  function update() {
    if (!document.getElementById("columns")) return;
    for (const el of scrollers()) {
      const s = state(el);
      // The reader may have scrolled up since, before their scroll event arrived.
      if (s.following && el.scrollTop + NEAR < s.pinned) s.following = false;
      if (s.following) {
        el.scrollTop = el.scrollHeight;
        s.pinned = el.scrollTop;
      }
    }
    showJump();
  }

  document.addEventListener("scroll", (event) => {
    const el = event.target === document ? document.scrollingElement : event.target;
    if (!scrollers().includes(el)) return;
    const s = state(el);
    s.following = atBottom(el);
    if (s.following) s.pinned = el.scrollTop;
    showJump();
  }, true);
  // Whoever runs wants to see their turn and its answer.
  document.addEventListener("htmx:wsConfigSend", (event) => {
    if (["run", "regenerate"].includes(event.detail.parameters.type)) followAll();
  });
  document.addEventListener("htmx:wsAfterMessage", update);
  document.addEventListener("htmx:afterSettle", update);
  window.addEventListener("resize", update);
  document.addEventListener("click", (event) => {
    if (event.target.id !== "jump") return;
    followAll();
    update();
    document.getElementById("message").focus(); // the button hides; focus must not drop
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
})();
