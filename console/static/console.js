// Loa console: small progressive enhancements (live progress, live preview, formatting buttons).
// Every page works without it; nothing is fetched from outside Loa.
"use strict";

function pollProgress(el) {
  const url = el.dataset.progress;
  const tick = async () => {
    try {
      const r = await fetch(url, { credentials: "same-origin" });
      if (!r.ok) return;
      const p = await r.json();
      el.textContent = p.label;
      const bar = document.querySelector('[data-bar="' + url + '"] > span');
      if (bar) bar.style.width = p.percent + "%";
      if (!p.finished) setTimeout(tick, 1000);
    } catch (e) { setTimeout(tick, 3000); }
  };
  tick();
}

function debounce(fn, ms) {
  let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

function formBody(form) {
  const data = new FormData(form);
  data.delete("attachment");
  return data;
}

function livePreview(form) {
  const target = document.getElementById(form.dataset.preview);
  const counts = document.getElementById(form.dataset.counts);
  const refresh = debounce(async () => {
    const r = await fetch(form.dataset.previewUrl, { method: "POST", body: formBody(form), credentials: "same-origin" });
    if (r.ok) target.innerHTML = await r.text();
  }, 300);
  const refreshCounts = debounce(async () => {
    const r = await fetch(form.dataset.countsUrl, { method: "POST", body: formBody(form), credentials: "same-origin" });
    if (r.ok) counts.innerHTML = await r.text();
  }, 300);
  form.addEventListener("input", (e) => {
    if (e.target.closest("[data-audience]")) refreshCounts(); else refresh();
  });
  form.addEventListener("change", (e) => { if (e.target.closest("[data-audience]")) refreshCounts(); });
  refresh(); refreshCounts();
}

function wrapSelection(textarea, open, close) {
  const s = textarea.selectionStart, e = textarea.selectionEnd, v = textarea.value;
  textarea.value = v.slice(0, s) + open + v.slice(s, e) + close + v.slice(e);
  textarea.focus();
  textarea.setSelectionRange(s + open.length, e + open.length);
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

function formatButtons() {
  document.querySelectorAll("[data-wrap]").forEach((b) => {
    b.addEventListener("click", () => {
      const ta = document.getElementById(b.dataset.target);
      if (b.dataset.wrap === "a") {
        const url = prompt("Đường dẫn (https://…)");
        if (url) wrapSelection(ta, '<a href="' + url.replace(/"/g, "") + '">', "</a>");
      } else wrapSelection(ta, "<" + b.dataset.wrap + ">", "</" + b.dataset.wrap + ">");
    });
  });
}

function unitSearch() {
  document.querySelectorAll("[data-unit-search]").forEach((input) => {
    const list = document.getElementById(input.dataset.unitSearch);
    const run = debounce(async () => {
      const r = await fetch("/console/units/search?q=" + encodeURIComponent(input.value), { credentials: "same-origin" });
      if (!r.ok) return;
      const items = await r.json();
      list.querySelectorAll("label[data-found]").forEach((l) => { if (!l.querySelector("input:checked")) l.remove(); });
      for (const u of items) {
        if (list.querySelector('input[value="' + u.id + '"]')) continue;
        const label = document.createElement("label");
        label.className = "inline"; label.dataset.found = "1";
        label.innerHTML = '<input type="checkbox" name="roots"> ';
        label.firstChild.value = u.id;
        label.append(u.name + " (" + u.code + ")");
        list.append(label);
      }
    }, 250);
    input.addEventListener("input", run);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-progress]").forEach(pollProgress);
  document.querySelectorAll("form[data-preview]").forEach(livePreview);
  formatButtons();
  unitSearch();
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
});

// A status table that refreshes itself while leaders reply in chat.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach((box) => {
    const tick = async () => {
      try {
        const r = await fetch(box.dataset.refresh, { credentials: "same-origin" });
        if (r.ok) box.innerHTML = await r.text();
      } finally { setTimeout(tick, 3000); }
    };
    setTimeout(tick, 3000);
  });
});

// Tree search on the directory page: links to the units found.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-unit-find]").forEach((input) => {
    const list = document.getElementById(input.dataset.unitFind);
    const run = debounce(async () => {
      list.replaceChildren();
      if (!input.value.trim()) return;
      const r = await fetch("/console/units/search?q=" + encodeURIComponent(input.value), { credentials: "same-origin" });
      if (!r.ok) return;
      for (const u of await r.json()) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = "/console/units?unit_id=" + u.id;
        a.textContent = u.name + " (" + u.code + ")";
        li.append(a); list.append(li);
      }
    }, 250);
    input.addEventListener("input", run);
  });
});
