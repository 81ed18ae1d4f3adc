// Browser terminal for a sandbox (see templates/sandboxes/_terminal.html).
// Shows start-up progress until the sandbox is ready, then connects xterm.js to the sandbox's
// WebSocket: binary frames are terminal output, text frames are JSON notices. Watchers get a
// terminal that does not take input.
(function () {
  "use strict";
  if (window.AcademyTerminal) { return; }
  var POLL_MS = 1000, STATUS_MS = 15000;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // The template hands over a path, and the origin of the socket process when sockets are
  // served by one of their own (ACADEMY_SOCKETS_URL); otherwise this page's host and scheme.
  function socketUrl(address, origin, cols, rows) {
    var target = new URL(address, location.href);
    if (origin) {
      var base = new URL(origin);
      target.protocol = base.protocol === "https:" || base.protocol === "wss:" ? "wss:" : "ws:";
      target.host = base.host;
    } else {
      target.protocol = location.protocol === "https:" ? "wss:" : "ws:";
      target.host = location.host;
    }
    target.searchParams.set("cols", cols);
    target.searchParams.set("rows", rows);
    return target.toString();
  }

  function Panel(root) {
    this.root = root;
    this.readonly = root.dataset.readonly === "true";
    this.start = root.querySelector(".sandbox-start");
    this.progressText = root.querySelector(".sandbox-progress-text");
    this.bar = root.querySelector(".progress .bar");
    this.errorText = root.querySelector(".sandbox-error");
    this.warning = root.querySelector(".sandbox-warning");
    this.screen = root.querySelector(".terminal-screen");
    this.state = root.querySelector(".terminal-state");
    this.closes = root.querySelector(".terminal-closes");
    this.extendButton = root.querySelector(".terminal-extend");
    this.term = null;
    this.socket = null;
    this.connected = false;
  }

  Panel.prototype.run = function () {
    var self = this;
    if (this.extendButton) {
      this.extendButton.addEventListener("click", function () { self.extend(); });
    }
    this.poll();
  };

  Panel.prototype.poll = function () {
    var self = this;
    fetch(this.root.dataset.status, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error("status " + r.status)); })
      .then(function (s) { self.show(s); })
      .catch(function (e) {
        self.progressText.textContent = "Cannot reach the platform (" + e.message + "); retrying…";
        setTimeout(function () { self.poll(); }, POLL_MS * 3);
      });
  };

  Panel.prototype.show = function (s) {
    var self = this;
    var badge = document.querySelector(".sandbox-status-badge");
    if (badge) { badge.textContent = s.status; }
    this.warning.hidden = !s.warning;
    this.warning.textContent = s.warning || "";
    this.closes.textContent = s.closes_at ? "closes " + new Date(s.closes_at).toLocaleTimeString() + " (" + s.closes_because + ")" : "";
    if (this.extendButton) { this.extendButton.hidden = !s.ready; }
    if (s.ready) {
      this.start.hidden = true;
      this.screen.hidden = false;
      if (!this.connected) { this.connect(); }
      setTimeout(function () { self.poll(); }, STATUS_MS);
      return;
    }
    this.start.hidden = false;
    this.bar.style.width = (s.percent || 0) + "%";
    this.bar.parentNode.setAttribute("aria-valuenow", s.percent || 0);
    var message = s.progress || s.status;
    if (s.unavailable && !s.ready) { message = "Labs are unavailable: " + s.unavailable; }
    this.progressText.textContent = message;
    this.errorText.hidden = !s.error;
    this.errorText.textContent = s.error || "";
    if (s.status === "failed" || s.status === "destroyed" || s.status === "expired") {
      this.screen.hidden = this.term === null;
      this.state.textContent = "closed";
      return;
    }
    setTimeout(function () { self.poll(); }, POLL_MS);
  };

  Panel.prototype.makeTerminal = function () {
    var term = new window.Terminal({
      cursorBlink: !this.readonly,
      disableStdin: this.readonly,
      convertEol: false,
      fontSize: 14,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace'
    });
    var fit = new window.FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(this.screen);
    fit.fit();
    this.term = term;
    this.fit = fit;
    var self = this;
    if (!this.readonly) {
      term.onData(function (data) { self.send({ type: "input", data: data }); });
      term.onResize(function (size) { self.send({ type: "resize", cols: size.cols, rows: size.rows }); });
    }
    term.onResize(function (size) { self.announceSize(size.cols, size.rows); });
    this.announceSize(term.cols, term.rows);
    if (window.ResizeObserver) {
      new ResizeObserver(function () { if (!self.readonly) { self.fit.fit(); } }).observe(this.screen);
    }
  };

  // The page may adapt to the terminal's size (the lab workspace warns under 80 columns): the
  // size is kept on the panel as data-cols / data-rows and announced as an event.
  Panel.prototype.announceSize = function (cols, rows) {
    this.root.setAttribute("data-cols", cols);
    this.root.setAttribute("data-rows", rows);
    this.root.dispatchEvent(new CustomEvent("academy:terminal-size", {
      bubbles: true, detail: { cols: cols, rows: rows }
    }));
  };

  Panel.prototype.connect = function () {
    var self = this;
    if (!this.term) { this.makeTerminal(); }
    this.connected = true;
    var socket = new WebSocket(socketUrl(this.root.dataset.socket, this.root.dataset.socketOrigin, this.term.cols, this.term.rows));
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.state.textContent = "connecting…";
    socket.onopen = function () {
      self.state.textContent = self.readonly ? "watching live (read-only)" : "connected";
      self.root.classList.add("is-connected");
      if (!self.readonly) { self.term.focus(); }
    };
    socket.onmessage = function (event) {
      if (typeof event.data !== "string") {
        self.term.write(new Uint8Array(event.data));
        return;
      }
      var notice;
      try { notice = JSON.parse(event.data); } catch (e) { return; }
      if (notice.type === "size" && self.readonly && notice.cols && notice.rows) {
        self.term.resize(notice.cols, notice.rows);
      } else if (notice.type === "exit") {
        self.state.textContent = notice.reason;
      } else if (notice.type === "waiting") {
        self.state.textContent = notice.reason;
      }
    };
    socket.onclose = function () {
      self.connected = false;
      self.root.classList.remove("is-connected");
      self.state.textContent = "disconnected";
      self.term.write("\r\n\x1b[2m[disconnected]\x1b[0m\r\n");
    };
  };

  Panel.prototype.send = function (message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  };

  Panel.prototype.extend = function () {
    var self = this;
    var body = new FormData();
    body.append("csrf_token", csrfToken());
    fetch(this.root.dataset.extend, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) { self.warning.hidden = true; self.show(s); } });
  };

  window.AcademyTerminal = Panel;
  function boot() {
    var panels = document.querySelectorAll(".sandbox-terminal:not([data-started])");
    for (var i = 0; i < panels.length; i++) {
      panels[i].setAttribute("data-started", "true");
      new Panel(panels[i]).run();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
