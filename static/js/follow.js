// The conversation follows a growing answer the way a terminal does: it stays
// at the bottom while the reader is there, stops following as soon as they
// scroll up (a "Jump to latest" button appears), and opens at the latest turn.
// Wide screens scroll the conversation box; narrow ones scroll the page
// (workbench.css), so the scroller is whichever of the two can scroll.
(function () {
  const NEAR = 48; // px from the end that still count as "at the bottom"
  let following = true;
  let pinned = 0; // where toBottom last put the view

  function scroller() {
    const log = document.getElementById("conversation");
    return getComputedStyle(log).overflowY === "visible" ? document.scrollingElement : log;
  }
  function atBottom() {
    const el = scroller();
    return el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR;
  }
  function toBottom() {
    const el = scroller();
    el.scrollTop = el.scrollHeight;
    pinned = el.scrollTop;
  }
  function follow() {
    following = true;
    pinned = 0;
  }
  function update() {
    if (!document.getElementById("conversation")) return;
    // The reader may have scrolled up since, before their scroll event arrived.
    if (following && scroller().scrollTop + NEAR < pinned) following = false;
    if (following) toBottom();
    document.getElementById("jump").hidden = following || atBottom();
  }

  document.addEventListener("scroll", (event) => {
    const el = scroller();
    if (event.target !== el && !(el === document.scrollingElement && event.target === document)) return;
    following = atBottom();
    if (following) pinned = el.scrollTop;
    document.getElementById("jump").hidden = following;
  }, true);
  // Whoever runs wants to see their turn and its answer.
  document.addEventListener("htmx:wsConfigSend", (event) => {
    if (["run", "regenerate"].includes(event.detail.parameters.type)) follow();
  });
  document.addEventListener("htmx:wsAfterMessage", update);
  document.addEventListener("htmx:afterSettle", update);
  window.addEventListener("resize", update);
  document.addEventListener("click", (event) => {
    if (event.target.id !== "jump") return;
    follow();
    update();
    document.getElementById("message").focus(); // the button hides; focus must not drop
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
})();
