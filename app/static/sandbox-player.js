// Replays a terminal recording (asciicast v2) with asciinema-player.
(function () {
  "use strict";
  var element = document.getElementById("player");
  if (!element || !window.AsciinemaPlayer) { return; }
  window.AsciinemaPlayer.create(element.dataset.src, element, {
    cols: parseInt(element.dataset.cols, 10) || 80,
    rows: parseInt(element.dataset.rows, 10) || 24,
    fit: "width",
    idleTimeLimit: 2,
    terminalFontSize: "14px"
  });
})();
