// The little the workbench page needs beyond htmx: sliders mirror their number
// box, Ctrl/Cmd+Enter runs, and Enter in a single-line field does not submit.
(function () {
  document.addEventListener("input", (event) => {
    const el = event.target;
    if (el.matches("input.slider")) {
      const box = document.getElementById(el.dataset.for);
      box.value = el.value;
      box.dispatchEvent(new Event("input", { bubbles: true }));
    } else if (el.matches('input[type="number"]')) {
      const slider = document.querySelector(`input.slider[data-for="${el.id}"]`);
      if (slider && el.value !== "") slider.value = el.value;
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.id === "message" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      document.getElementById("run").click();
    }
  });
  document.addEventListener("submit", (event) => {
    if (event.target.id === "workbench-form") event.preventDefault();
  });
})();
