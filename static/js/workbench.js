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

// The socket: frames too large for the server are not sent (the page says
// why instead), and the page tells the server how much it has read, so a
// server never buffers without bound for a page that stopped reading.
(function () {
  const ACK_EVERY = 256 * 1024;
  let read = 0;
  let acked = 0;
  document.addEventListener("htmx:wsOpen", () => { read = 0; acked = 0; });
  document.addEventListener("htmx:wsAfterMessage", (event) => {
    read += event.detail.message.length;
    if (read - acked >= ACK_EVERY) {
      acked = read;
      event.detail.socketWrapper.send(JSON.stringify({ type: "ack", read }));
    }
  });
  document.addEventListener("htmx:wsConfigSend", (event) => {
    const { import_text, ...parameters } = event.detail.parameters; // Import has its own button
    const body = JSON.stringify(parameters);
    const limit = Number(event.target.closest("[data-max-frame]").dataset.maxFrame);
    const size = new TextEncoder().encode(body).length;
    if (size > limit) {
      event.preventDefault();
      const mb = (n) => (n / 1048576).toFixed(1);
      document.getElementById("notice").textContent =
        `Nothing was sent: the prompt and message are too long to send together ` +
        `(${mb(size)} MB; the limit is ${mb(limit)} MB). Shorten them.`;
      return;
    }
    event.detail.messageBody = body;
  });
})();

// Runs belong to the conversation, not to the page: when the socket opens
// (first load, reload, reconnect), follow every answer shown as streaming.
document.addEventListener("htmx:wsOpen", (event) => {
  for (const card of document.querySelectorAll('article[data-status="streaming"][data-run]')) {
    event.detail.socketWrapper.send(JSON.stringify({ type: "attach", run: card.dataset.run }));
  }
});

// A ?model= link pre-selects a model without storing it; once the person
// acts, it is stored, and a reload must not pre-select it again.
(function () {
  function settle() {
    const form = document.getElementById("workbench-form");
    if (form && form.hasAttribute("data-preselected")) {
      form.removeAttribute("data-preselected");
      history.replaceState(null, "", location.pathname);
    }
  }
  document.addEventListener("htmx:beforeRequest", settle);
  document.addEventListener("htmx:wsBeforeSend", settle);
})();

// API tab: Copy puts the exact snippet text on the clipboard; the snippet tab
// chosen stays chosen when the server refreshes the snippets.
(function () {
  let chosenSnippet = null;
  document.addEventListener("tab:selected", (event) => {
    if (event.target.closest("#api")) chosenSnippet = event.target.id;
    // The server refreshes the snippets with each change only while they are on screen.
    const open = document.getElementById("api_open");
    if (event.target.id === "tab-api" || event.target.id === "tab-chat") {
      open.value = event.target.id === "tab-api" ? "1" : "";
    }
  });
  document.addEventListener("htmx:afterSettle", () => {
    const tab = chosenSnippet && document.getElementById(chosenSnippet);
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
  });
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
      await copy(document.getElementById(button.dataset.copy).value);
      status.textContent = "Copied";
    } catch (error) {
      status.textContent = `Copy failed: ${error.message}`;
    }
    setTimeout(() => { status.textContent = ""; }, 2000);
  });
})();
