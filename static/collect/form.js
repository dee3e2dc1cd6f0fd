// The offline app's questionnaire form: drawn from the questionnaire's JSON, with the same
// skip logic and the same checks as the server's surveys/validation.py (the server still
// checks everything again and has the last word).
(function (scope) {
  "use strict";

  var NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

  function questionsOf(doc) {
    var all = [];
    doc.sections.forEach(function (s) { s.questions.forEach(function (q) { all.push(q); }); });
    return all;
  }

  function isBlank(raw) {
    return raw === null || raw === undefined || (typeof raw === "string" && !raw.trim()) ||
      (Array.isArray(raw) && !raw.length);
  }

  function optionValues(q) { return q.options.map(function (o) { return o.value; }); }

  // The digits of a decimal written as text, after the point, ignoring trailing zeros.
  function decimals(text) {
    var point = text.indexOf(".");
    return point === -1 ? 0 : text.slice(point + 1).replace(/0+$/, "").length;
  }

  // One raw value as a typed answer, or throws {code, limit} naming the problem.
  function cleanValue(raw, q) {
    if (q.type === "scale" || q.type === "single_choice") {
      var value = typeof raw === "string" ? Number(raw) : raw;
      if (!Number.isInteger(value) || optionValues(q).indexOf(value) === -1) {
        throw { code: "option" };
      }
      return value;
    }
    if (q.type === "multi_choice") {
      var parts = (Array.isArray(raw) ? raw : [raw]).map(function (v) {
        return typeof v === "string" ? Number(v) : v;
      });
      parts.forEach(function (v) {
        if (!Number.isInteger(v) || optionValues(q).indexOf(v) === -1) { throw { code: "option" }; }
      });
      if (new Set(parts).size !== parts.length) { throw { code: "twice" }; }
      return parts.slice().sort(function (a, b) { return a - b; });
    }
    if (q.type === "number") {
      var text = String(raw).trim();
      if (!NUMBER.test(text)) { throw { code: "number" }; }
      var number = Number(text);
      if (q.min !== null && number < Number(q.min)) { throw { code: "min", limit: q.min }; }
      if (q.max !== null && number > Number(q.max)) { throw { code: "max", limit: q.max }; }
      if (decimals(text) > 4 || Math.abs(number) >= 1e10) { throw { code: "digits" }; }
      return text;
    }
    var written = String(raw).trim();
    if (Array.from(written).length > q.max_length) { throw { code: "length", limit: q.max_length }; }
    return written;
  }

  function isVisible(q, cleaned) {
    if (!q.show_if) { return true; }
    var given = cleaned[q.show_if.question];
    if (Array.isArray(given)) {
      return given.some(function (v) { return q.show_if.values.indexOf(v) !== -1; });
    }
    return q.show_if.values.indexOf(given) !== -1;
  }

  // The answers to send (hidden and blank ones left out) and the problems by question code:
  // surveys.validation.clean_answers, question by question.
  function cleanAnswers(doc, raw) {
    var cleaned = {};
    var problems = {};
    questionsOf(doc).forEach(function (q) {
      var value = raw[q.code];
      if (!isVisible(q, cleaned)) { return; }
      if (isBlank(value)) {
        if (q.required) { problems[q.code] = { code: "required" }; }
        return;
      }
      try {
        var answer = cleanValue(value, q);
        if (answer === "") {
          if (q.required) { problems[q.code] = { code: "required" }; }
          return;
        }
        cleaned[q.code] = answer;
      } catch (problem) {
        problems[q.code] = problem;
      }
    });
    return { answers: cleaned, problems: problems };
  }

  // Which questions are shown for these answers so far (typed loosely, as on the page).
  function visibleCodes(doc, raw) {
    var typed = {};
    var shown = {};
    questionsOf(doc).forEach(function (q) {
      if (!isVisible(q, typed)) { return; }
      shown[q.code] = true;
      if (!isBlank(raw[q.code])) {
        try { typed[q.code] = cleanValue(raw[q.code], q); } catch (ignored) { /* shown as is */ }
      }
    });
    return shown;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  // The form's fields for one questionnaire, in `lang`, filled with `raw`.
  function render(container, doc, raw, lang, texts) {
    container.textContent = "";
    doc.sections.forEach(function (section) {
      container.appendChild(el("h2", { "class": "h5 mt-4", text: section.title[lang] || section.title.vi }));
      section.questions.forEach(function (q) {
        var id = "q-" + q.code;
        var fieldset = el("fieldset", { "class": "question mb-3", id: id, "data-code": q.code });
        var legend = el("legend", { "class": "form-label fw-semibold fs-6", id: id + "-label" });
        legend.appendChild(el("span", { "class": "text-secondary me-1", translate: "no", text: q.code }));
        legend.appendChild(document.createTextNode(q.text[lang] || q.text.vi));
        if (q.required) {
          legend.appendChild(el("span", { "class": "text-danger ms-1", text: "*", "aria-hidden": "true" }));
          legend.appendChild(el("span", { "class": "visually-hidden", text: " " + texts.required_mark }));
        }
        fieldset.appendChild(legend);
        var error = el("div", { "class": "invalid-feedback d-block", id: id + "-error", hidden: "" });
        if (q.type === "number" || q.type === "text") {
          var input;
          if (q.type === "number") {
            input = el("input", { type: "text", inputmode: "decimal", "class": "form-control",
                                  name: q.code, id: id + "-input" });
          } else {
            input = el("textarea", { "class": "form-control", rows: "3", name: q.code,
                                     id: id + "-input", maxlength: String(q.max_length) });
          }
          input.setAttribute("aria-labelledby", id + "-label");
          input.setAttribute("aria-describedby", id + "-error");
          if (raw[q.code] !== undefined && raw[q.code] !== null) { input.value = raw[q.code]; }
          fieldset.appendChild(input);
        } else {
          var kind = q.type === "multi_choice" ? "checkbox" : "radio";
          var given = [].concat(raw[q.code] === undefined || raw[q.code] === null ? [] : raw[q.code]);
          q.options.forEach(function (option) {
            var optionId = id + "-" + option.value;
            var box = el("input", { type: kind, "class": "form-check-input", name: q.code,
                                    value: String(option.value), id: optionId,
                                    "aria-describedby": id + "-error" });
            if (given.map(Number).indexOf(option.value) !== -1) { box.checked = true; }
            var label = el("label", { "class": "form-check-label", "for": optionId,
                                      text: option.label[lang] || option.label.vi });
            fieldset.appendChild(el("div", { "class": "form-check" }, [box, label]));
          });
        }
        fieldset.appendChild(error);
        container.appendChild(fieldset);
      });
    });
  }

  // What the fields hold now, question code -> value as the page has it.
  function read(container, doc) {
    var raw = {};
    questionsOf(doc).forEach(function (q) {
      var fields = container.querySelectorAll('[name="' + q.code + '"]');
      if (q.type === "number" || q.type === "text") {
        if (fields[0] && fields[0].value.trim()) { raw[q.code] = fields[0].value; }
      } else {
        var ticked = Array.prototype.filter.call(fields, function (f) { return f.checked; })
          .map(function (f) { return Number(f.value); });
        if (ticked.length) { raw[q.code] = q.type === "multi_choice" ? ticked : ticked[0]; }
      }
    });
    return raw;
  }

  // Show only the questions the answers so far call for; hidden ones keep no answer.
  function applySkips(container, doc) {
    var shown = visibleCodes(doc, read(container, doc));
    questionsOf(doc).forEach(function (q) {
      var fieldset = container.querySelector("#q-" + q.code);
      var visible = !!shown[q.code];
      fieldset.hidden = !visible;
      fieldset.querySelectorAll("input, textarea").forEach(function (f) { f.disabled = !visible; });
    });
  }

  function message(problem, texts) {
    var template = texts["problem_" + problem.code] || texts.problem_invalid;
    return template.replace("%(limit)s", problem.limit === undefined ? "" : String(problem.limit));
  }

  function showProblems(container, doc, problems, texts) {
    questionsOf(doc).forEach(function (q) {
      var fieldset = container.querySelector("#q-" + q.code);
      var error = fieldset.querySelector(".invalid-feedback");
      var problem = problems[q.code];
      error.hidden = !problem;
      error.textContent = problem ? message(problem, texts) : "";
      fieldset.querySelectorAll("input, textarea").forEach(function (f) {
        if (problem) { f.setAttribute("aria-invalid", "true"); } else { f.removeAttribute("aria-invalid"); }
      });
    });
  }

  scope.CollectForm = {
    cleanAnswers: cleanAnswers, render: render, read: read, applySkips: applySkips,
    showProblems: showProblems, message: message, questionsOf: questionsOf
  };
})(window);
