// The quiz paper: save answers as they change, order steps with arrows or by dragging, and
// count down a time limit (the server keeps the real deadline; this only shows it).
(function () {
  const form = document.getElementById("paper");
  if (!form) return;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("save-status");
  let submitting = false;
  let timer = null;

  function save() {
    if (submitting) return;
    fetch(form.dataset.save, {
      method: "POST",
      headers: { "X-CSRFToken": token },
      body: new FormData(form),
      credentials: "same-origin",
    })
      .then(function (response) {
        const body = response.json().catch(function () { return {}; });
        return body.then(function (parsed) { return [response, parsed]; });
      })
      .then(function ([response, body]) {
        if (body.review) { window.location.assign(body.review); return; }
        status.textContent = response.ok ? " · saved" : " · not saved: " + (body.error || response.status);
      })
      .catch(function () { status.textContent = " · not saved (offline?)"; });
  }

  function saveSoon() {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  form.addEventListener("change", saveSoon);
  form.addEventListener("input", saveSoon);
  form.addEventListener("submit", function () { submitting = true; clearTimeout(timer); });

  // Ordering: arrows move a step; dragging drops it before the step under the pointer.
  document.querySelectorAll("ol.ordering").forEach(function (list) {
    list.addEventListener("click", function (event) {
      const button = event.target.closest("button");
      if (!button) return;
      const item = button.closest("li");
      if (button.classList.contains("move-up") && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.classList.contains("move-down") && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      } else {
        return;
      }
      button.focus();
      saveSoon();
    });
    let dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("li");
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      saveSoon();
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      const over = event.target.closest("li");
      if (!over || over === dragged || over.parentNode !== list) return;
      const box = over.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextElementSibling : over);
    });
  });

  // Countdown from the seconds the server computed when it rendered the page.
  const clock = document.getElementById("countdown");
  if (clock) {
    const ends = Date.now() + Number(clock.dataset.seconds) * 1000;
    const shown = clock.querySelector("strong");
    const tick = function () {
      const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      shown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left <= 60) clock.classList.add("low");
      if (left === 0) {
        clearInterval(ticker);
        if (!submitting) { submitting = true; form.requestSubmit(); }
      }
    };
    const ticker = setInterval(tick, 1000);
    tick();
  }
})();
