// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  function detectTimeZone() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
      if (select.value && select.value !== "UTC") { return; }
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) { select.value = zone; break; }
      }
    });
  }
  function confirmForms() {
    document.addEventListener("submit", function (event) {
      var message = event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) { event.preventDefault(); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    detectTimeZone();
    confirmForms();
  });
})();
