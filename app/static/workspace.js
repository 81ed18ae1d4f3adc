// The lab workspace's terminal tools: a notice when the terminal is narrower than the 80 columns
// command output is laid out for, and a full-screen terminal (a button, not a key: Escape
// belongs to the programs in the terminal; outside it, Escape closes the full screen too).
(function () {
  "use strict";
  var COMFORTABLE = 80;
  var area = document.getElementById("lab-terminal");
  var notice = document.getElementById("terminal-narrow");
  var button = document.getElementById("terminal-full");
  if (!area || !notice || !button) return;
  var panel = area.querySelector(".sandbox-terminal");
  var full = false;

  function describe(cols) {
    if (!cols || cols >= COMFORTABLE) {
      notice.hidden = true;
      notice.textContent = "";
      return;
    }
    notice.hidden = false;
    notice.textContent = "The terminal is " + cols + " columns wide; command output is laid out for " +
      COMFORTABLE + ", so long lines wrap. " +
      (full ? "Turn the screen sideways for more room." : "Use the full-screen terminal, or turn the screen sideways.");
  }

  function currentCols() {
    return panel ? parseInt(panel.getAttribute("data-cols"), 10) || 0 : 0;
  }

  function setFull(on) {
    full = on;
    area.classList.toggle("is-full", on);
    document.documentElement.classList.toggle("terminal-full-open", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Close full screen" : "Full-screen terminal";
    describe(currentCols());
    if (on) {
      var screen = area.querySelector(".terminal-screen textarea, .terminal-screen");
      if (screen && screen.focus) screen.focus();
    } else {
      button.focus();
    }
  }

  area.addEventListener("academy:terminal-size", function (event) { describe(event.detail.cols); });
  button.hidden = false;
  button.addEventListener("click", function () { setFull(!full); });
  document.addEventListener("keydown", function (event) {
    var inTerminal = event.target.closest && event.target.closest(".terminal-screen");
    if (event.key === "Escape" && full && !inTerminal) setFull(false);
  });
  describe(currentCols());
})();
