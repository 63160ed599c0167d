// An image pasted into Message is attached like a chosen file: it is put into
// the "Attach image" input, whose change uploads it over HTTP (htmx, see
// workbench.html#attachments). Text pastes as usual.
(function () {
  document.addEventListener("paste", (event) => {
    if (!event.target.matches("#message")) return;
    const input = document.getElementById("attach_image");
    const files = Array.from(event.clipboardData?.files || []).filter((f) => f.type.startsWith("image/"));
    if (!input || files.length === 0) return;
    event.preventDefault();
    const chosen = new DataTransfer();
    files.forEach((file) => chosen.items.add(file));
    input.files = chosen.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  // Once attached, a file is cleared from its input (choosing it again attaches it
  // again) and a URL from its box; refused, the URL stays to be corrected.
  // (htmx has swapped the reply in by the time it says afterRequest.)
  document.addEventListener("htmx:afterRequest", (event) => {
    const id = event.detail.elt?.id;
    if (id === "attach_image") event.detail.elt.value = "";
    if (id === "add_image_url" && !document.querySelector("#attachments .field-error")) {
      document.getElementById("image_url").value = "";
    }
  });
})();
