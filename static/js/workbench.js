// The little the workbench page needs beyond htmx: sliders mirror their number
// box, Reset empties a number (not sent: the provider's default applies, and its
// slider rests at that default), Ctrl/Cmd+Enter runs, and Enter in a
// single-line field does not submit.
(function () {
  document.addEventListener("input", (event) => {
    const el = event.target;
    if (el.matches("input.slider")) {
      const box = document.getElementById(el.dataset.for);
      box.value = el.value;
      box.dispatchEvent(new Event("input", { bubbles: true }));
    } else if (el.matches('input[type="number"]')) {
      const empty = el.value === "" && !el.validity.badInput;
      const slider = document.querySelector(`input.slider[data-for="${el.id}"]`);
      if (slider) slider.value = empty ? slider.dataset.rest : el.value;
      const reset = document.querySelector(`button.reset[data-reset="${el.id}"]`);
      if (reset) reset.disabled = empty;
    }
  });
  document.addEventListener("click", (event) => {
    const reset = event.target.closest("button.reset");
    if (!reset) return;
    const box = document.getElementById(reset.dataset.reset);
    box.value = "";
    box.focus(); // Reset is disabled next: focus must not drop
    box.dispatchEvent(new Event("input", { bubbles: true }));
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
        `Nothing was sent: this request is too large to send ` +
        `(${mb(size)} MB; the limit is ${mb(limit)} MB). Shorten the system prompt or message.`;
      return;
    }
    event.detail.messageBody = body;
    if (["run", "regenerate"].includes(parameters.type)) {
      // Pressed once is enough: the server's answer enables what fits next.
      for (const id of ["run", "regenerate"]) document.getElementById(id).disabled = true;
      idleButtonsFollowRun();
      // A run changes the conversation: it is not what was saved any more.
      const state = document.getElementById("session-state");
      if (state && state.dataset.unsaved === "false" && state.textContent.trim()) {
        state.dataset.unsaved = "true";
        state.textContent = "unsaved changes";
      }
    }
  });
})();

// A column's actions ("Send to column N only", Keep, Close: data-idle) are
// usable exactly when Run is: none of them may act while an answer streams.
function idleButtonsFollowRun() {
  const run = document.getElementById("run");
  for (const button of document.querySelectorAll("button[data-idle]")) {
    button.disabled = !run || run.disabled;
  }
}
document.addEventListener("htmx:wsAfterMessage", idleButtonsFollowRun);
document.addEventListener("htmx:afterSettle", idleButtonsFollowRun);

// Compare's figures table stays open (or folded) as the person left it when a
// run's end redraws it.
(function () {
  let open = false;
  document.addEventListener("toggle", (event) => {
    if (event.target.closest?.("#standings")) open = event.target.open;
  }, true);
  document.addEventListener("htmx:afterSettle", () => {
    const details = document.querySelector("#standings details");
    if (details) details.open = open;
  });
})();

// Runs belong to the conversation, not to the page: when the socket opens
// (first load, reload, reconnect), and when an edit redraws the conversation,
// follow every answer shown as streaming (the server sends its text so far).
(function () {
  let socket = null;
  function follow() {
    if (!socket) return;
    for (const card of document.querySelectorAll('article[data-status="streaming"][data-run]')) {
      socket.send(JSON.stringify({ type: "attach", run: card.dataset.run }));
    }
  }
  document.addEventListener("htmx:wsOpen", (event) => {
    socket = event.detail.socketWrapper;
    follow();
  });
  document.addEventListener("htmx:wsClose", () => { socket = null; });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.elt?.hasAttribute?.("data-passive")) return; // the meter: nothing redrawn
    if (event.detail.xhr && event.detail.target?.closest?.("#columns, #conversation, #panel-chat")) follow();
  });
})();

// A ?model= link pre-selects a model without storing it. The person's first
// action stores it (an autosave goes first), and from then on the URL no
// longer says it, so a reload does not pre-select it again.
(function () {
  function settle(event) {
    if (event.detail.elt?.hasAttribute?.("data-passive")) return; // the page asking, not the person
    const form = document.getElementById("workbench-form");
    if (!form || !form.hasAttribute("data-preselected")) return;
    form.removeAttribute("data-preselected");
    document.getElementById("preselected")?.remove(); // "kept once you…": it is now
    // A Run carries the model itself; any other first action stores it now.
    if (event.type !== "htmx:wsBeforeSend" && event.detail.elt !== form) htmx.trigger(form, "change");
    // A compare link's columns (input[data-opened]) go with every request of this page:
    // whichever reaches the server first (an autosave or a Run) stores them.
    history.replaceState(null, "", location.pathname);
  }
  document.addEventListener("htmx:beforeRequest", settle);
  document.addEventListener("htmx:wsBeforeSend", settle);
  document.addEventListener("tab:selected", (event) => {
    if (event.target.id === "tab-api") settle({ type: "tab", detail: { elt: null } }); // show what Run sends
  });
})();

// What was typed in the last moments before the page goes is saved anyway:
// the autosave waits 400 ms for typing to pause, a reload does not.
(function () {
  let unsaved = false;
  document.addEventListener("input", (event) => {
    if (event.target.closest("#workbench-form") && event.target.id !== "import_text") unsaved = true;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt?.id === "workbench-form" && event.detail.successful) unsaved = false;
  });
  window.addEventListener("pagehide", () => {
    const form = document.getElementById("workbench-form");
    if (!unsaved || !form) return;
    const data = new FormData(form);
    data.delete("import_text");
    navigator.sendBeacon(form.getAttribute("hx-post"), data);
  });
})();

// API tab: the snippet tab chosen stays chosen when the server refreshes the
// snippets (Copy is static/js/copy.js).
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
})();

// A change the server did not take says why in the notice (htmx shows no
// error response by itself); a form that comes back with reasons (422) is
// swapped in like any answer (base.html's htmx config).
(function () {
  function say(text) {
    const notice = document.getElementById("notice");
    if (notice) notice.textContent = text;
  }
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    const plain = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
    say(plain ? xhr.responseText.slice(0, 500)
      : `The server could not do that (HTTP ${xhr.status}). Reload the page and try again.`);
  });
  document.addEventListener("htmx:sendError", () => {
    say("Could not reach the server: check the connection, then try again.");
  });
  // Dismiss (the notice's) and Cancel (Import's question) empty what they control, and
  // so hide themselves: focus goes on to the Message box, or where data-then says.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.dismiss");
    if (!button) return;
    document.getElementById(button.getAttribute("aria-controls")).textContent = "";
    document.getElementById(button.dataset.then || "message").focus();
  });
})();

// Compare: the panel edits the column that has focus. Moving into another
// column saves the panel (for the column it showed) and shows that column's.
// After Compare, Close or Keep the page comes back at #column-N: focus goes there.
(function () {
  document.addEventListener("focusin", (event) => {
    const region = event.target.closest?.("[data-column]");
    const input = document.getElementById("column");
    const form = document.getElementById("workbench-form");
    if (!region || !input || !form || input.value === region.dataset.column) return;
    for (const col of document.querySelectorAll("[data-column]")) col.classList.toggle("focused", col === region);
    // The panel's fields and its column input still belong to the column it shows:
    // they are saved there, and the reply redraws the panel (column input included).
    htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: form, swap: "none", values: { focus: region.dataset.column },
    });
  }, true);
  const wanted = location.hash.match(/^#column-(\d+)$/);
  if (wanted) document.getElementById(`column-${wanted[1]}`)?.focus();
})();

// Response format: picking an example schema fills Schema name and Schema (the
// example select itself is not sent), then autosaves them like typing would.
document.addEventListener("change", (event) => {
  const picker = event.target.closest("select[data-schema-examples]");
  if (!picker || !picker.value) return;
  const option = picker.selectedOptions[0];
  const fill = (id, value) => {
    const box = document.getElementById(id);
    box.value = value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };
  fill(picker.dataset.nameBox, picker.value);
  fill(picker.dataset.schemaBox, option.dataset.schema);
  picker.value = "";
});

// Tools: "Add function" puts a function (name, description, parameters as JSON
// Schema) at the end of the Tools list, which is what is sent and autosaved; the
// server checks the list. An example fills the form; the form itself is not sent.
(function () {
  const partsOf = (form) => {
    const parts = {};
    form.querySelectorAll("[data-part]").forEach((el) => { parts[el.dataset.part] = el; });
    return parts;
  };
  document.addEventListener("change", (event) => {
    const picker = event.target.closest("select[data-tool-examples]");
    if (!picker || !picker.value) return;
    const tool = JSON.parse(picker.selectedOptions[0].dataset.tool).function;
    const parts = partsOf(picker.closest("[data-add-tool]"));
    parts.name.value = tool.name;
    parts.description.value = tool.description || "";
    parts.parameters.value = JSON.stringify(tool.parameters || {}, null, 2);
    picker.value = "";
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-add-tool-button]");
    if (!button) return;
    const form = button.closest("[data-add-tool]");
    const said = form.querySelector("[data-add-tool-said]");
    const parts = partsOf(form);
    const box = document.getElementById(form.dataset.toolsBox);
    let tools, parameters;
    try {
      tools = box.value.trim() ? JSON.parse(box.value) : [];
      if (!Array.isArray(tools)) throw new Error("not a list");
    } catch (e) {
      said.textContent = "The Tools list is not a JSON list: fix it first.";
      return;
    }
    try {
      parameters = parts.parameters.value.trim() ? JSON.parse(parts.parameters.value) : undefined;
    } catch (e) {
      said.textContent = "The function's parameters are not valid JSON.";
      return;
    }
    const name = parts.name.value.trim();
    if (!name) {
      said.textContent = "Name the function first.";
      parts.name.focus();
      return;
    }
    const fn = { name: name };
    if (parts.description.value.trim()) fn.description = parts.description.value.trim();
    if (parameters !== undefined) fn.parameters = parameters;
    tools.push({ type: "function", function: fn });
    box.value = JSON.stringify(tools, null, 2);
    box.dispatchEvent(new Event("input", { bubbles: true }));
    said.textContent = `Added ${name} to Tools.`;
    parts.name.value = "";
    parts.description.value = "";
  });
})();
