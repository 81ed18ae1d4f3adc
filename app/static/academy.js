// Every page: the menu button of narrow screens, and boxes that scroll sideways instead of the
// page (tables and code blocks), made reachable from the keyboard when they do scroll.
(function () {
  "use strict";
  var NARROW = window.matchMedia("(max-width: 760px)");

  // The browser's time zone, for the server to show times in when the account names none.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var current = (document.cookie.match(/(?:^|; )tz=([^;]*)/) || [])[1];
    if (zone && decodeURIComponent(current || "") !== zone) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (error) { /* no Intl: times stay in UTC */ }

  function setUpMenu() {
    var bar = document.getElementById("topbar");
    var button = bar && bar.querySelector(".menu-toggle");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;

    function show(open) {
      menu.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }

    bar.classList.add("has-toggle");
    button.hidden = false;
    show(false);
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && NARROW.matches && menu.classList.contains("open")) {
        show(false);
        button.focus();
      }
    });
  }

  // A table goes into a .table-scroll box unless something around it scrolls already.
  function scrollsSideways(element) {
    var overflow = getComputedStyle(element).overflowX;
    return overflow === "auto" || overflow === "scroll";
  }

  function wrapTables() {
    var tables = document.querySelectorAll("main table");
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      var inside = false;
      for (var up = table.parentElement; up && up.tagName !== "MAIN"; up = up.parentElement) {
        if (up.classList.contains("table-scroll") || scrollsSideways(up)) { inside = true; break; }
      }
      if (inside) continue;
      var box = document.createElement("div");
      box.className = "table-scroll";
      box.setAttribute("data-wrapped", "");
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
  }

  // The name a scrolling box is announced by: its table's caption, or the nearest heading.
  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var node = box; node && node.tagName !== "MAIN"; node = node.parentElement) {
      for (var before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (/^H[1-6]$/.test(before.tagName)) return before.textContent.trim();
      }
    }
    return "";
  }

  // Boxes that scroll get a tab stop (and, for tables, a name) so that keys can scroll them;
  // the ones that fit give theirs back. Boxes the page marked itself are left alone.
  function markScrolling() {
    var boxes = document.querySelectorAll("main .table-scroll, main pre");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (box.hasAttribute("tabindex") && !box.hasAttribute("data-scroll-focus")) continue;
      box.toggleAttribute("data-scrolls", scrolls);
      if (scrolls && !box.hasAttribute("data-scroll-focus")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
        if (box.tagName !== "PRE") {
          var name = nameOf(box);
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", (name ? name + ": " : "") + "table, scrolls sideways");
        }
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  function boot() {
    setUpMenu();
    wrapTables();
    markScrolling();
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(markScrolling, 150);
    });
    // Pages that fill in content later (details opened, panels updated) get another look.
    document.addEventListener("toggle", markScrolling, true);
    window.AcademyLayout = { refresh: markScrolling };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
