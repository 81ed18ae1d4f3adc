// The lab page: start-up progress, time left, Check / Reset / Extend, and continuous checking.
// Every state change comes from the server's status JSON; messages are inserted as text only.
(function () {
  "use strict";
  const root = document.getElementById("lab");
  if (!root) return;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const statusUrl = root.dataset.statusUrl;
  const checkUrl = root.dataset.checkUrl;
  const continuous = root.dataset.continuous === "true";
  const AUTO_EVERY = 5000; // continuous checking: ask the server every 5 s
  const FAST_POLL = 100; // while a Check press or a start-up is pending...
  // ...backing off the longer it stays pending, so that slow checks on a busy server are not
  // answered with ten polls a second from every open page (the same schedule as `bench load`).
  function fastPoll(pendingMs) {
    if (pendingMs < 1000) return FAST_POLL;
    if (pendingMs < 3000) return 250;
    return 500;
  }
  // While the lab starts: twice a second at first (a warm sandbox is ready in about a second),
  // then less often, since a cold start or a long setup takes tens of seconds and twenty pages
  // starting at once should not be half of the server's requests (the same as `bench load`).
  function startPoll(pendingMs) {
    if (pendingMs < 5000) return FAST_POLL * 5;
    if (pendingMs < 30000) return 1000;
    return 2000;
  }
  let pendingSince = null;
  let lastStatus = root.dataset.sessionStatus;
  let secondsLeft = null;
  let waitingForRun = false;
  let pollTimer = null;
  let pendingRuns = [];

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "Request failed (" + response.status + ")");
        return data;
      });
    });
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
  }

  function notice(text, isError) {
    const box = document.getElementById(isError ? "lab-warning" : "lab-notice");
    box.textContent = text;
    box.hidden = !text;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Hints may mark commands with backticks: show those parts as code, the rest as text.
  function hintNodes(text) {
    return text.split("`").map(function (part, index) {
      return index % 2 === 1 ? el("code", "", part) : document.createTextNode(part);
    });
  }

  function renderTask(task) {
    const item = document.querySelector('li.task[data-task="' + CSS.escape(task.id) + '"]');
    if (!item) return;
    item.classList.toggle("passed", task.passed);
    const badge = item.querySelector(".task-state");
    badge.textContent = task.passed ? "passed" : "to do";
    badge.className = "badge task-state " + (task.passed ? "ok" : "muted");
    task.checks.forEach(function (check) {
      const row = item.querySelector('li.check[data-check="' + CSS.escape(check.id) + '"]');
      if (!row) return;
      row.className = "check status-" + (check.outcome || "none");
      row.querySelector(".check-outcome").textContent = check.outcome || "";
      row.querySelector(".check-message").textContent = check.message || "";
      const hints = row.querySelector(".check-hints");
      hints.replaceChildren.apply(hints, check.hints.map(function (h) {
        const item = el("li");
        item.append.apply(item, hintNodes(h));
        return item;
      }));
    });
    const hintList = item.querySelector("ul.hints");
    hintList.replaceChildren.apply(hintList, task.hints.map(function (h) {
      const item = el("li");
      item.append.apply(item, [el("strong", "", "Hint:"), " "].concat(hintNodes(h)));
      return item;
    }));
    item.querySelectorAll("button.check-task").forEach(function (b) { b.disabled = task.passed; });
    task.checks.forEach(function (check) {
      if (check.kind !== "answer") return;
      const form = item.querySelector('form.answer-form[data-check="' + CSS.escape(check.id) + '"]');
      if (!form) return;
      const locked = task.passed || check.tries_left === 0;
      form.querySelectorAll("button, input[type=text]").forEach(function (b) { b.disabled = locked; });
      const left = form.querySelector(".tries-left");
      if (left) left.textContent = task.passed ? "" : check.tries_left + (check.tries_left === 1 ? " try left" : " tries left");
      renderAnswer(form, check);
    });
  }

  // A typed answer's result goes right under its field, where the trainee is looking.
  function answerFeedback(form, text, state) {
    const box = form.querySelector(".answer-feedback");
    if (!box) return;
    if (box.textContent !== text) box.textContent = text;
    box.className = "answer-feedback" + (state ? " is-" + state : "");
    // The verdict on an answer just sent: bring it into view (the task panel scrolls itself).
    if (form.dataset.awaiting && text && state !== "pending") {
      delete form.dataset.awaiting;
      box.scrollIntoView({ block: "nearest" });
    }
  }

  function renderAnswer(form, check) {
    const run = Number(form.dataset.run || 0);
    if (form.dataset.sending) return; // the answer is on its way: "Checking your answer…"
    if (run && pendingRuns.indexOf(run) >= 0) return; // its check has not run yet
    if (form.dataset.error) return; // the refusal stays until the next submit
    if (check.outcome === "passed") answerFeedback(form, "Correct.", "right");
    else if (check.outcome === "failed" || check.outcome === "error") {
      answerFeedback(form, check.message || "That is not the answer.", "wrong");
    } else answerFeedback(form, "", "");
  }

  function renderClock() {
    const out = document.getElementById("time-left");
    if (secondsLeft === null) return;
    const s = Math.max(0, secondsLeft);
    const m = Math.floor(s / 60);
    out.textContent = m + ":" + String(s % 60).padStart(2, "0");
  }

  function render(status) {
    pendingRuns = status.pending_runs || [];
    secondsLeft = status.seconds_left;
    renderClock();
    status.tasks.forEach(renderTask);
    const warnings = [];
    if (status.warning) warnings.push("Less than ten minutes left: press Extend to keep working, or Finish.");
    if (status.sandbox_warning) warnings.push(status.sandbox_warning);
    if (status.error && status.status === "active") warnings.push(status.error.split("\n")[0]);
    notice(warnings.join(" "), true);
    if (status.completed) notice("Every task passed. Well done: press Finish when you are ready.", false);
    else if (status.busy && status.busy.indexOf("reset") >= 0) notice(status.progress, false);
    if (status.status === "starting" || status.status === "setting_up" || status.status === "failed") {
      const bar = document.getElementById("start-bar");
      if (bar) bar.style.width = status.percent + "%";
      const text = document.getElementById("start-progress");
      if (text) text.textContent = status.progress;
      const err = document.getElementById("start-error");
      if (err) err.textContent = status.error || "";
      if (status.status === "failed") document.getElementById("start-title").textContent = "The lab could not start";
    }
    // The terminal is rendered by the server once the session is active: reload into it.
    if (status.status === "active" && lastStatus !== "active") { window.location.reload(); return; }
    if (!status.open && lastStatus !== status.status && status.status !== "failed") {
      window.location.reload();
      return;
    }
    lastStatus = status.status;
    waitingForRun = status.pending_runs.length > 0 && waitingForRun;
  }

  function schedule(ms) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, ms);
  }

  let lastAuto = 0;
  function poll() {
    let request;
    const now = Date.now();
    const visible = document.visibilityState === "visible";
    if (lastStatus === "active" && continuous && visible && !waitingForRun && now - lastAuto >= AUTO_EVERY) {
      lastAuto = now;
      request = post(checkUrl, { auto: true });
    } else if (lastStatus === "active" && waitingForRun && pendingRuns.length > 0) {
      // The trainee's own check is pending: the server answers as soon as a run ends.
      request = get(statusUrl + "?wait=1");
    } else {
      request = get(statusUrl);
    }
    request.then(function (status) {
      render(status);
      if (!status.open) return;
      const busy = status.status !== "active" || waitingForRun || (status.busy || "").length > 0;
      if (!busy) { pendingSince = null; schedule(1000); return; }
      if (pendingSince === null) pendingSince = Date.now();
      const pendingMs = Date.now() - pendingSince;
      schedule(status.status === "active" ? fastPoll(pendingMs) : startPoll(pendingMs));
    }).catch(function (error) {
      notice(String(error.message || error), true);
      schedule(3000);
    });
  }

  document.querySelectorAll("button.check-task").forEach(function (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      waitingForRun = true;
      post(checkUrl, { task: button.dataset.task }).then(function (status) {
        render(status);
        waitingForRun = status.run !== null;
        pendingSince = Date.now(); schedule(FAST_POLL);
      }).catch(function (e) { notice(e.message, true); }).finally(function () {
        setTimeout(function () { button.disabled = button.closest("li.task").classList.contains("passed"); }, 500);
      });
    });
  });

  document.querySelectorAll("button.reset-task").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!window.confirm("Reset this task? Its starting state is put back; your other work stays.")) return;
      post(button.dataset.url).then(function (status) { render(status); pendingSince = Date.now(); schedule(FAST_POLL); })
        .catch(function (e) { notice(e.message, true); });
    });
  });

  document.querySelectorAll("form.answer-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const data = new FormData(form);
      data.append("csrf_token", document.getElementById("answer-csrf").value);
      waitingForRun = true;
      delete form.dataset.error;
      form.dataset.run = "";
      form.dataset.sending = "1";
      form.dataset.awaiting = "1";
      answerFeedback(form, "Checking your answer…", "pending");
      fetch(form.action, { method: "POST", credentials: "same-origin", body: data, headers: { "X-CSRFToken": token } })
        .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.error || "The answer could not be sent (" + r.status + ")."); return d; }); })
        .then(function (status) {
          delete form.dataset.sending;
          form.dataset.run = status.run || "";
          render(status);
          pendingSince = Date.now(); schedule(FAST_POLL);
        })
        .catch(function (e) {
          waitingForRun = false;
          delete form.dataset.sending;
          form.dataset.error = "1";
          answerFeedback(form, String(e.message || e), "wrong");
        });
    });
  });

  const extend = document.getElementById("extend-lab");
  if (extend) {
    extend.addEventListener("click", function () {
      post(extend.dataset.url).then(function (status) { render(status); notice("Extended.", false); })
        .catch(function (e) { notice(e.message, true); });
    });
  }

  const finish = document.getElementById("finish-form");
  if (finish) {
    finish.addEventListener("submit", function (event) {
      if (!window.confirm("Finish the lab? Its server is closed; your results are kept.")) event.preventDefault();
    });
  }

  setInterval(function () {
    if (secondsLeft !== null && lastStatus === "active") { secondsLeft -= 1; renderClock(); }
  }, 1000);
  poll();
})();
