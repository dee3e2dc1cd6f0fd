// Shows or hides questions whose show_if depends on an answer on the same page,
// and moves focus to the error summary after a failed submit.
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form) { return; }

  function answersOf(code) {
    var inputs = form.querySelectorAll('[name="' + code + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  function refresh() {
    form.querySelectorAll("[data-show-if]").forEach(function (block) {
      var wanted = block.getAttribute("data-show-values").split(",");
      var shown = answersOf(block.getAttribute("data-show-if")).some(function (v) {
        return wanted.indexOf(v) !== -1;
      });
      block.hidden = !shown;
      block.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }

  form.addEventListener("change", refresh);
  refresh();
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
