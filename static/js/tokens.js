// Token probabilities under an answer: pointing at a token, or moving through
// the tokens with the arrow keys (Home/End to the ends) once they have focus,
// says that token's probability and its alternatives in the line below. One
// tab stop for all the tokens; the current one is outlined.
(function () {
  function show(token) {
    const tokens = token.closest(".tokens");
    tokens.querySelector(".tok.current")?.classList.remove("current");
    token.classList.add("current");
    tokens.parentElement.querySelector(".token-detail").textContent = token.title;
  }
  document.addEventListener("mouseover", (event) => {
    const token = event.target.closest?.(".tokens .tok");
    if (token) show(token);
  });
  document.addEventListener("focusin", (event) => {
    if (!event.target.matches?.(".tokens")) return;
    show(event.target.querySelector(".tok.current") || event.target.querySelector(".tok"));
  });
  document.addEventListener("keydown", (event) => {
    if (!event.target.matches?.(".tokens")) return;
    const all = [...event.target.querySelectorAll(".tok")];
    const at = all.indexOf(event.target.querySelector(".tok.current"));
    const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1,
      Home: 0, End: all.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    show(all[Math.max(0, Math.min(all.length - 1, to))]);
  });
})();
