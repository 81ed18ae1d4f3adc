// The progress matrix's scroll cues: a shadow on each edge that hides columns, and the hint
// only while the table is wider than its box. Without this script the hint simply stays shown.
(function () {
  "use strict";
  document.querySelectorAll("[data-scroller]").forEach(function (scroller) {
    const box = scroller.querySelector(".matrix-wrap");
    const hint = document.getElementById(scroller.dataset.hint);
    if (!box) return;
    let queued = false;

    function update() {
      queued = false;
      const hidden = box.scrollWidth - box.clientWidth;
      scroller.classList.toggle("more-left", box.scrollLeft > 1);
      scroller.classList.toggle("more-right", box.scrollLeft < hidden - 1);
      if (hint) hint.hidden = hidden <= 1;
    }

    function later() {
      if (queued) return;
      queued = true;
      window.requestAnimationFrame(update);
    }

    box.addEventListener("scroll", later, { passive: true });
    window.addEventListener("resize", later);
    update();
  });
})();
