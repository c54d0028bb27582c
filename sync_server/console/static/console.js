/* The console's only script: "select every flag-free visit" on the review queue, and a
   confirmation before destructive buttons (revoke, reject). Everything works without it. */
(function () {
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches("[data-select-clean]")) {
      var boxes = document.querySelectorAll("input[name=visit_ids][data-clean='1']");
      var anyOff = Array.prototype.some.call(boxes, function (b) { return !b.checked; });
      boxes.forEach(function (b) { b.checked = anyOff; });
      event.preventDefault();
    }
    var question = target.getAttribute && target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
