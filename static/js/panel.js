// The parameter panel is a disclosure: open on wide screens, folded on narrow
// ones (phones, tablets, 200 % zoom), where it would push Message and Run off
// the first screen. Crossing the breakpoint resets it to that size's default.
(function () {
  const narrow = matchMedia("(max-width: 48rem)");
  function reset() {
    const button = document.querySelector(".panel .disclosure");
    if (button) button.setAttribute("aria-expanded", String(!narrow.matches));
  }
  narrow.addEventListener("change", reset);
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".disclosure");
    if (!button) return;
    button.setAttribute("aria-expanded", String(button.getAttribute("aria-expanded") !== "true"));
  });
  reset();
})();
