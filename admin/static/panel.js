// The panel's only script besides htmx, kept in a file so the Content-Security-Policy can
// forbid inline scripts. Everything here is a comfort: without it every page still works.
(function () {
  "use strict";

  // A form marked data-reset-after empties itself once htmx has sent it.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form[data-reset-after]")) {
      form.reset();
    }
  });

  // The conversation opens at its newest message, just above the reply box.
  function chatBottomOffset() {
    var chat = document.getElementById("messages");
    var box = document.getElementById("reply-box");
    if (!chat || !box) return null;
    return chat.getBoundingClientRect().bottom - (window.innerHeight - box.offsetHeight);
  }
  function showNewest() {
    var offset = chatBottomOffset();
    if (offset !== null && offset > 0) window.scrollBy(0, offset);
  }

  // The live list is redrawn every few seconds: keep opened folds open, and follow new
  // messages only when the coach was already at the newest one.
  var openFolds = [];
  var following = true;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "live") return;
    openFolds = Array.prototype.map.call(
      document.querySelectorAll("#live details.fold[open]"),
      function (fold) { return fold.getAttribute("data-fold"); });
    var offset = chatBottomOffset();
    following = offset === null || offset < 80;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "live") {
      openFolds.forEach(function (key) {
        var fold = document.querySelector('#live details.fold[data-fold="' + key + '"]');
        if (fold) fold.open = true;
      });
      var sent = event.detail.requestConfig && event.detail.requestConfig.verb === "post";
      if (following || sent) showNewest();
    }
    if (event.detail.target.id === "side") markCurrent();
  });

  // A saved reply goes into the answer box where the coach can still edit it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-insert-saved]")) return;
    var option = form.querySelector("select").selectedOptions[0];
    var box = document.getElementById("reply");
    if (!option || !option.value || !box) { event.preventDefault(); return; }
    event.preventDefault();
    var text = option.getAttribute("data-text");
    box.value = box.value ? box.value.replace(/\s*$/, "") + "\n" + text : text;
    box.focus();
  });

  // On a wide screen the inbox stands beside the conversation, refreshed like the inbox.
  function markCurrent() {
    var side = document.getElementById("side");
    var row = side && side.querySelector('li[data-youth="' + side.getAttribute("data-current") + '"]');
    if (row) row.classList.add("current");
  }
  function loadSide() {
    var side = document.getElementById("side");
    if (!side || !window.htmx || !window.matchMedia("(min-width: 1000px)").matches) return;
    window.htmx.ajax("GET", side.getAttribute("data-side-list"), { target: "#side", swap: "innerHTML" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showNewest();
    loadSide();
    if (document.getElementById("side")) window.setInterval(loadSide, 5000);
  });
})();
