// Copy buttons put exact text on the clipboard, never the highlighted markup:
// - a snippet's Copy (API tab, model pages): data-copy names the textarea
//   holding its code;
// - a code block's "Copy code" in an answer: the block's code;
// - "Copy message N": the message as written (Markdown and all), from its
//   <template class="source">, or the text shown when it has none (text too
//   long to render is shown as it is).
// The outcome is said in the snippet's own status, else the page's announcer,
// and shown on the button for a moment.
(function () {
  async function write(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const area = Object.assign(document.createElement("textarea"), { value: text });
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    if (!done) throw new Error("the browser did not allow it");
  }

  function textFor(button) {
    if (button.dataset.copy) {
      const source = document.getElementById(button.dataset.copy);
      return source.value ?? source.textContent;
    }
    if (button.matches(".copy-code")) return button.closest(".code-block").querySelector("code").textContent;
    const card = button.closest("article.message");
    const source = card.querySelector("template.source");
    return source ? source.content.textContent : card.querySelector(".content").innerText;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy, button.copy-code, button.copy-message");
    if (!button) return;
    const status = button.parentElement.querySelector(".copied") || document.getElementById("announcer");
    let said;
    try {
      await write(textFor(button));
      said = "Copied";
      button.dataset.copied = "";
    } catch (error) {
      said = `Copy failed: ${error.message}`;
    }
    if (status) status.textContent = said;
    setTimeout(() => {
      delete button.dataset.copied;
      if (status && status.textContent === said) status.textContent = "";
    }, 2000);
  });
})();
