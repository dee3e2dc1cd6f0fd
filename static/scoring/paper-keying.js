// The paper keying screen, keyboard first: a one-digit option moves on by itself, Enter moves
// on after anything else, skipped questions are passed over and disabled (so never sent), a
// value not among the options is refused on the spot. The server checks everything again.
(function () {
  "use strict";
  var form = document.getElementById("keying");
  if (!form) { return; }
  var serial = document.getElementById("serial");
  var save = document.getElementById("save");
  var rows = Array.prototype.slice.call(form.querySelectorAll(".keying-row"));
  var byCode = {};
  rows.forEach(function (row) { byCode[row.getAttribute("data-code")] = row; });

  function numbers(text) {
    return text ? text.split(",").map(function (v) { return parseInt(v, 10); }) : [];
  }
  function field(row) { return row.querySelector("input"); }
  function allowed(row) { return numbers(row.getAttribute("data-values")); }
  function type(row) { return row.getAttribute("data-type"); }
  function isChoice(row) { return allowed(row).length > 0; }
  function message(name, value, row) {
    return form.getAttribute("data-msg-" + name).replace("{value}", value)
      .replace("{allowed}", allowed(row).join(", "));
  }
  function parts(row) {
    // the options typed: "24" or "2 4" for a multiple choice, one value otherwise
    var text = field(row).value.trim();
    if (!text) { return []; }
    if (type(row) !== "multi_choice") { return [text]; }
    var split = text.split(/[\s,;|+]+/).filter(Boolean);
    var single = allowed(row).every(function (v) { return v >= 0 && v <= 9; });
    if (split.length === 1 && /^\d{2,}$/.test(text) && single) { split = text.split(""); }
    return split;
  }
  function problem(row) {
    var given = parts(row);
    if (!given.length) {
      return row.getAttribute("data-required") ? message("required", "", row) : "";
    }
    if (isChoice(row)) {
      var options = allowed(row);
      for (var i = 0; i < given.length; i++) {
        if (!/^\d+$/.test(given[i]) || options.indexOf(parseInt(given[i], 10)) < 0) {
          return message("options", given[i], row);
        }
      }
    } else if (type(row) === "number" && !/^-?\d+([.,]\d+)?$/.test(given[0])) {
      return message("number", given[0], row);
    }
    return "";
  }
  function show(row, text) {
    var box = document.getElementById("err-" + row.getAttribute("data-code"));
    box.textContent = text;
    field(row).classList.toggle("is-invalid", !!text);
    if (text) { field(row).setAttribute("aria-invalid", "true"); }
    else { field(row).removeAttribute("aria-invalid"); }
  }
  function chosen(code) {
    var row = byCode[code];
    if (!row || row.hidden || problem(row)) { return []; }
    return parts(row).map(function (v) { return parseInt(v, 10); });
  }
  function refresh() {
    // rows are in question order, so a screening answer is settled before what it shows
    rows.forEach(function (row) {
      var screen = row.getAttribute("data-show-if");
      var visible = true;
      if (screen) {
        var wanted = numbers(row.getAttribute("data-show-values"));
        visible = chosen(screen).some(function (v) { return wanted.indexOf(v) >= 0; });
      }
      row.hidden = !visible;
      field(row).disabled = !visible;
    });
  }
  function advance(row) {
    var start = row ? rows.indexOf(row) + 1 : 0;
    for (var i = start; i < rows.length; i++) {
      if (!rows[i].hidden) { field(rows[i]).focus(); field(rows[i]).select(); return; }
    }
    save.focus();
  }
  function finished(row) {
    // a single option is complete once no longer option starts with what is typed
    var text = field(row).value.trim();
    if (type(row) === "multi_choice" || !isChoice(row) || !/^\d+$/.test(text)) { return false; }
    var value = parseInt(text, 10);
    var options = allowed(row);
    if (options.indexOf(value) < 0) { return false; }
    return !options.some(function (v) { return v !== value && String(v).indexOf(text) === 0; });
  }
  function hopeless(row) {
    // what is typed can no longer become an option
    var text = field(row).value.trim();
    if (!text || type(row) === "multi_choice" || !isChoice(row)) { return false; }
    return !allowed(row).some(function (v) { return String(v).indexOf(text) === 0; });
  }

  rows.forEach(function (row) {
    var input = field(row);
    input.addEventListener("input", function () {
      if (hopeless(row)) {
        show(row, message("options", input.value.trim(), row));
        input.select();  // the next key typed replaces it
        return;
      }
      show(row, "");
      refresh();
      if (finished(row)) { advance(row); }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        // to go back and correct an answer (or on again) without the mouse
        event.preventDefault();
        if (event.key === "ArrowDown") { advance(row); return; }
        for (var i = rows.indexOf(row) - 1; i >= 0; i--) {
          if (!rows[i].hidden) { field(rows[i]).focus(); field(rows[i]).select(); return; }
        }
        serial.focus();
        return;
      }
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      var why = problem(row);
      show(row, why);
      if (why) { input.select(); return; }
      refresh();
      advance(row);
    });
  });
  serial.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    advance(null);
  });
  form.addEventListener("submit", function (event) {
    refresh();
    var first = null;
    rows.forEach(function (row) {
      if (row.hidden) { return; }
      var why = problem(row);
      show(row, why);
      if (why && !first) { first = row; }
    });
    if (first) { event.preventDefault(); field(first).focus(); }
  });
  refresh();
})();
