// Focus is never dropped. Many actions replace or disable the control that
// had focus (Run, Stop, Regenerate, Edit, Save, Cancel, Delete); without
// this, focus would fall to <body> and the next Tab would start over.
// Focus then moves to where the person goes on: into a message's edit box,
// back to a message's Edit button once it is saved or cancelled, to Run after
// Stop, to Undo after Delete, and otherwise to the Message box. Escape cancels
// an edit.
(function () {
  let last = null;
  document.addEventListener("focusin", (event) => { last = event.target; });

  const NEXT = { stop: "run" }; // Run, Regenerate and the rest: the Message box

  function successor(gone) {
    if (gone.matches("button.delete") && document.getElementById("undo")) {
      return document.getElementById("undo");
    }
    const card = gone.closest("article.message");
    const now = card && document.getElementById(card.id);
    if (now) return now.querySelector("textarea") || now.querySelector(".message-actions .edit");
    const same = gone.id && document.getElementById(gone.id);
    if (same && !same.disabled) return same;
    return document.getElementById(NEXT[gone.id] || "message");
  }

  function restore() {
    if (!last || (last.isConnected && !last.disabled)) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    const next = successor(last);
    if (next && !next.disabled) next.focus();
  }
  document.addEventListener("htmx:wsAfterMessage", restore);
  document.addEventListener("htmx:afterSettle", restore);

  document.addEventListener("keydown", (event) => {
    const editing = event.key === "Escape" && event.target.closest("article.editing");
    if (!editing) return;
    event.preventDefault();
    editing.querySelector("button.cancel").click();
  });
})();
