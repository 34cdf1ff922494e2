// Copy buttons for the home network filter addresses and the recovery codes. Without JavaScript
// the buttons stay hidden; an address is a read-only field to select by hand, codes a list.
(function () {
  "use strict";
  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    // A field copies its value; a list (the recovery codes) its items, one a line.
    var text = "value" in field ? field.value : field.innerText;
    if (field.select) { field.select(); }
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
    document.querySelectorAll("input.feed-url").forEach(function (field) {
      field.addEventListener("focus", function () { field.select(); });
    });
  });
})();
