// The little the pages need beyond htmx: open and close the action
// dialogs, add or remove rows of list inputs, show the files chosen in a
// form. Every page works without it (forms post and the server answers a
// whole page).
"use strict";

document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-opens]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.opens);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
    return;
  }
  const fill = event.target.closest("[data-fill]");
  if (fill) {
    const input = document.getElementById(fill.dataset.fill);
    if (input) input.value = fill.dataset.value;
    return;
  }
  if (event.target.closest("[data-print]")) {
    window.print();
    return;
  }
  const closer = event.target.closest("[data-closes]");
  if (closer) {
    event.preventDefault();
    closer.closest("dialog")?.close();
    return;
  }
  const add = event.target.closest("[data-add-row]");
  if (add) {
    event.preventDefault();
    addRow(document.getElementById(add.dataset.addRow));
    return;
  }
  const remove = event.target.closest("[data-remove-row]");
  if (remove) {
    event.preventDefault();
    const body = remove.closest("tbody");
    remove.closest("tr").remove();
    renumber(body);
  }
});

// A new row copies the template row (the last one the server sent) with
// empty values.
function addRow(body) {
  if (!body) return;
  const template = body.querySelector("tr[data-template]") || body.lastElementChild;
  if (!template) return;
  const row = template.cloneNode(true);
  row.removeAttribute("data-template");
  row.querySelectorAll("input, select, textarea").forEach((input) => {
    if (input.type === "checkbox") input.checked = false; else input.value = "";
    input.removeAttribute("aria-invalid");
  });
  row.querySelectorAll(".error").forEach((e) => e.remove());
  row.querySelectorAll(".chosen").forEach((list) => {
    list.replaceChildren();
    list.hidden = true;
  });
  body.appendChild(row);
  renumber(body);
  const first = row.querySelector("input, select, textarea");
  if (first) first.focus();
}

// Rows are named `list.N.field`: keep N in step with the row's position,
// and ids unique.
function renumber(body) {
  if (!body) return;
  const list = body.dataset.list;
  Array.from(body.rows).forEach((row, n) => {
    row.querySelectorAll("[name]").forEach((input) => {
      const field = input.name.split(".").pop();
      input.name = `${list}.${n}.${field}`;
      input.id = `${body.id}-${n}-${field}`;
    });
    row.querySelectorAll(".chosen").forEach((list) => {
      const input = list.previousElementSibling;
      if (input) list.id = `${input.id}-chosen`;
    });
    row.querySelectorAll("label[for]").forEach((label) => {
      const field = label.htmlFor.split("-").pop();
      label.htmlFor = `${body.id}-${n}-${field}`;
    });
    const number = row.querySelector("[data-row-number]");
    if (number) number.textContent = String(n + 1);
  });
}

// A part of a form shown only while a box is ticked (the accepted
// quantity of each line, while "Partial" is). Without this script it is
// always shown, and the server ignores it while the box is not ticked.
function showTicked(root) {
  root.querySelectorAll("[data-shown-by]").forEach((part) => {
    const box = document.getElementById(part.dataset.shownBy);
    if (box) part.hidden = !box.checked;
  });
}
document.addEventListener("change", (event) => {
  if (event.target.matches("input[type=checkbox]")) showTicked(event.target.form || document);
});
showTicked(document);

// A form swapped in by htmx (a refused action shows its messages) keeps
// its dialog open and moves the focus to the first field in error.
document.addEventListener("htmx:afterSwap", (event) => {
  showTicked(document);
  const invalid = event.target.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
});

// A live page does not replace itself under someone typing in a dialog:
// it says the page changed instead.
document.addEventListener("htmx:beforeRequest", (event) => {
  const live = event.target.closest(".live");
  if (live && document.querySelector("dialog[open]")) {
    event.preventDefault();
    document.querySelectorAll(".live-held").forEach((n) => { n.hidden = false; });
  }
});

// Files chosen in a form are shown before they are sent: images drawn
// small, other files by name, each with its size; choosing more than the
// input takes is said at once (the server refuses it too).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.matches("input[type=file]")) return;
  const list = document.getElementById(`${input.id}-chosen`);
  if (!list) return;
  list.querySelectorAll("img").forEach((img) => URL.revokeObjectURL(img.src));
  list.replaceChildren();
  const files = Array.from(input.files);
  for (const file of files) {
    const item = document.createElement("li");
    if (file.type.startsWith("image/")) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = file.name;
      item.append(img, size(file.size));
    } else {
      item.append(`${file.name} (${size(file.size)})`);
    }
    list.append(item);
  }
  const most = Number(input.dataset.maxFiles || 0);
  if (most && files.length > most) {
    const note = document.createElement("li");
    note.className = "error";
    note.textContent = `Choose at most ${most}: ${files.length} are chosen.`;
    list.append(note);
  }
  list.hidden = files.length === 0;
});

function size(bytes) {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1000000) return `${Math.round(bytes / 1000)} kB`;
  return `${(bytes / 1000000).toFixed(1)} MB`;
}
