// Report reading time while the lesson is visible, in 30-second beats; mark a press of
// "Mark complete" as under way so that it is not sent twice.
(function () {
  const form = document.querySelector("form.complete-form");
  if (form) {
    form.addEventListener("submit", function () {
      const button = form.querySelector("button[type=submit]");
      if (!button) return;
      // Disabled after the browser has taken the form's values, so the press still counts.
      setTimeout(function () {
        button.disabled = true;
        button.textContent = "Marking complete…";
      }, 0);
    });
  }

  const article = document.querySelector("article[data-heartbeat]");
  if (!article) return;
  const url = article.dataset.heartbeat;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const beat = 30;
  setInterval(function () {
    if (document.visibilityState !== "visible") return;
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ seconds: beat }),
      credentials: "same-origin",
    });
  }, beat * 1000);
})();
