// Copy buttons on every page: a `button.copy` copies the exact text of the
// element its `data-copy` names (a hidden textarea or a read-only box holds it
// verbatim), and says so in the `.copied` status next to it.
(function () {
  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const area = Object.assign(document.createElement("textarea"), { value: text });
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const status = button.parentElement.querySelector(".copied");
    try {
      const source = document.getElementById(button.dataset.copy);
      await copy(source.value ?? source.textContent);
      status.textContent = "Copied";
    } catch (error) {
      status.textContent = `Copy failed: ${error.message}`;
    }
    setTimeout(() => { status.textContent = ""; }, 2000);
  });
})();
