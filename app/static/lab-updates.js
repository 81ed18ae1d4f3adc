// Status updates of an incident drill: post the form without leaving the page (the terminal
// stays connected) and show the updates as the server stamped them. Without JavaScript the form
// posts normally and the page comes back. Text is inserted as text only.
(function () {
  "use strict";
  const form = document.querySelector("form.update-form");
  const list = document.getElementById("status-updates-list");
  if (!form || !list) return;
  const feedback = form.querySelector(".update-feedback");
  const button = form.querySelector('button[type="submit"]');

  function minutes(seconds) {
    return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s after the lab was ready";
  }

  function show(updates) {
    list.replaceChildren();
    if (!updates.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = list.dataset.empty || "";
      list.appendChild(empty);
      return;
    }
    updates.forEach(function (u) {
      const item = document.createElement("li");
      item.className = "update";
      item.dataset.status = u.status;
      const head = document.createElement("p");
      const badge = document.createElement("span");
      badge.className = "badge " + (u.status === "resolved" ? "ok" : "muted");
      badge.textContent = u.status;
      const time = document.createElement("time");
      time.dateTime = u.posted_at;
      time.textContent = " " + u.time;
      head.append(badge, time);
      if (u.after_ready !== null) {
        const small = document.createElement("small");
        small.textContent = " " + minutes(u.after_ready);
        head.appendChild(small);
      }
      const text = document.createElement("p");
      text.className = "update-text";
      text.textContent = u.text;
      item.append(head, text);
      list.appendChild(item);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    feedback.textContent = "Posting…";
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        return r.json().then(function (d) {
          if (!r.ok) throw new Error(d.error || "The update could not be posted (" + r.status + ").");
          return d;
        });
      })
      .then(function (data) {
        show(data.updates);
        form.querySelector("textarea").value = "";
        feedback.textContent = "Posted.";
      })
      .catch(function (e) { feedback.textContent = String(e.message || e); })
      .finally(function () { button.disabled = false; });
  });
})();
