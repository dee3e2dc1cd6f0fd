// The offline collection app's page: sign-in state, questionnaires, the form, the outbox.
(function () {
  "use strict";

  var root = document.getElementById("collect");
  if (!root) { return; }
  var texts = JSON.parse(document.getElementById("collect-texts").textContent);
  var lang = (document.documentElement.lang || "vi").slice(0, 2);
  var Store = window.CollectStore;
  var Form = window.CollectForm;
  var MAX_DURATION = 604800;
  var TIMER_MS = 30000;
  var SIGN_OUT = "par-collect-sign-out";  // a sign-out the server has not heard of yet
  var me = null;            // the signed-in enumerator
  var given = null;         // their assignments: {province, questionnaires}
  var open = null;          // the record being filled
  var tick = 0;             // when the time spent on `open` was last counted
  var retryMs = 2000;
  var retryTimer = null;

  function $(id) { return document.getElementById(id); }
  function show(id) {
    ["signed-out", "home", "survey"].forEach(function (name) { $(name).hidden = name !== id; });
  }
  function say(text) { $("notice").textContent = text; }
  function fill(template, values) {
    return Object.keys(values).reduce(function (out, key) {
      return out.split("%(" + key + ")s").join(String(values[key]));
    }, template);
  }
  function pick(pair) { return pair[lang] || pair.vi; }
  function when(ms) {
    return new Date(ms).toLocaleString(lang === "en" ? "en-GB" : "vi-VN");
  }
  function size(bytes) {
    if (bytes < 1024 * 1024) { return (bytes / 1024).toFixed(1) + " KB"; }
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  // --- signing in and out ------------------------------------------------------------

  function csrfCookie() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // True once the server has ended the session (a redirect to the home page).
  function signOutOnServer(token) {
    function attempt(value) {
      return fetch("/accounts/logout/", {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "X-CSRFToken": value }
      }).then(function (response) {
        return response.type === "opaqueredirect" || response.ok;
      });
    }
    return attempt(token || csrfCookie()).then(function (done) {
      return done || attempt(csrfCookie());
    }, function () { return false; });
  }

  // The account whose sign-out the server has not heard of yet (made offline), or null.
  function pendingSignOut() {
    try { return JSON.parse(localStorage.getItem(SIGN_OUT)); } catch (ignored) { return null; }
  }

  // Ask the server who is signed in; offline, keep whoever signed in last on this device.
  // A session the enumerator signed out of while offline is ended first, and shows nothing.
  function refresh() {
    if (!navigator.onLine) { return Store.current(); }
    return fetch("/collect/api/assignments", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          localStorage.removeItem(SIGN_OUT);
          return Store.clearCurrent().then(function () { return null; });
        }
        if (!response.ok) { return Store.current(); }
        return response.json().then(function (data) {
          var pending = pendingSignOut();
          if (pending && pending.session === data.session) {
            return signOutOnServer(data.csrf_token).then(function (done) {
              if (done) { localStorage.removeItem(SIGN_OUT); }
              return Store.clearCurrent();
            }).then(function () { return null; });
          }
          localStorage.removeItem(SIGN_OUT);  // signed in again since: that session ended
          var who = { id: data.enumerator.id, username: data.enumerator.username,
                      province: data.province, csrf: data.csrf_token, session: data.session };
          return Store.saveAssignments(who.id, { province: data.province,
                                                 questionnaires: data.questionnaires })
            .then(function () { return Store.setCurrent(who); })
            .then(function () { return who; });
        });
      }, function () { return Store.current(); });
  }

  function unsentCount() {
    return Store.records(me.id).then(function (all) {
      return all.filter(function (r) { return r.status !== "sent"; }).length;
    });
  }

  function signOut() {
    var who = me;
    me = null; given = null; open = null;
    localStorage.setItem(SIGN_OUT, JSON.stringify({ session: who.session }));
    return Store.clearCurrent().then(function () {
      return navigator.onLine ? signOutOnServer(who.csrf) : false;
    }).then(function (done) {
      if (done) { localStorage.removeItem(SIGN_OUT); }
      show("signed-out");
      say(texts.signed_out);
    });
  }

  function askSignOut() {
    unsentCount().then(function (count) {
      if (!count) { return signOut(); }
      $("confirm-text").textContent = fill(texts.confirm_sign_out, { count: count });
      $("confirm-sign-out").showModal();
      return null;
    });
  }

  // --- the list of questionnaires and the outbox ---------------------------------------

  function forms() { return given ? given.questionnaires : []; }

  function formFor(item) {
    if (item.form) { return item.form; }
    return forms().filter(function (q) {
      return q.code === item.questionnaire && q.version === item.version;
    })[0] || null;
  }

  function statusText(item) {
    if (item.status === "draft") { return texts.status_draft; }
    if (item.status === "sent") { return fill(texts.status_sent, { receipt: item.receipt }); }
    if (item.status === "refused") { return texts.status_refused; }
    if (item.last_error === "signin") { return texts.status_waiting_signin; }
    return texts.status_waiting;
  }

  function button(label, className, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function renderHome() {
    $("who").textContent = me.username;
    $("province").textContent = me.province ? pick(me.province.name) : "";
    var list = $("questionnaires");
    list.textContent = "";
    forms().forEach(function (q) {
      var li = document.createElement("li");
      li.className = "list-group-item d-flex justify-content-between align-items-center gap-2";
      var title = document.createElement("span");
      title.textContent = pick(q.title);
      li.appendChild(title);
      li.appendChild(button(texts.new_survey, "btn btn-primary btn-sm", function () { start(q); }));
      list.appendChild(li);
    });
    $("no-questionnaires").hidden = forms().length > 0;
    return Store.records(me.id).then(function (all) {
      var body = $("outbox-rows");
      body.textContent = "";
      var counts = { waiting: 0, refused: 0, sent: 0, draft: 0 };
      all.slice().reverse().forEach(function (item) {
        counts[item.status === "queued" ? "waiting" : item.status] += 1;
        var tr = document.createElement("tr");
        tr.setAttribute("data-status", item.status);
        tr.setAttribute("data-id", item.submission_id);
        var form = formFor(item);
        tr.appendChild(cell(form ? pick(form.title) : item.questionnaire));
        tr.appendChild(cell(when(item.completed_at || item.created_at)));
        tr.appendChild(cell(statusText(item)));
        var reason = cell(item.status === "refused" ? item.reason : "");
        reason.setAttribute("lang", "en");
        tr.appendChild(reason);
        var actions = document.createElement("td");
        if (item.status === "draft" && form) {
          actions.appendChild(button(texts.continue_survey, "btn btn-outline-primary btn-sm",
                                     function () { resume(item); }));
        }
        if (item.status === "refused") {
          actions.appendChild(button(texts.send_again, "btn btn-outline-secondary btn-sm",
                                     function () { sendAgain(item); }));
        }
        tr.appendChild(actions);
        body.appendChild(tr);
      });
      $("outbox-empty").hidden = all.length > 0;
      $("count-waiting").textContent = counts.waiting;
      $("count-refused").textContent = counts.refused;
      $("count-sent").textContent = counts.sent;
      $("count-draft").textContent = counts.draft;
      renderExports(all);
      return storage();
    });
  }

  function storage() {
    if (!navigator.storage || !navigator.storage.estimate) { return Promise.resolve(); }
    return Promise.all([navigator.storage.estimate(),
                        navigator.storage.persisted ? navigator.storage.persisted() : false])
      .then(function (found) {
        $("space-used").textContent = size(found[0].usage || 0);
        $("persisted").textContent = found[1] ? texts.persisted_yes : texts.persisted_no;
      });
  }

  // --- exporting unsent records, in the CSV import format (spec §8) --------------------

  var FORMULA = "=+-@\t\r";
  var PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

  // surveys/spreadsheets.py's `safe`: text a spreadsheet would run as a formula is quoted.
  function safe(value) {
    if (value && FORMULA.indexOf(value[0]) !== -1 && !PLAIN_NUMBER.test(value)) {
      return "'" + value;
    }
    return value;
  }

  function csvCell(value) {
    var text = safe(value);
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csvFor(form, items) {
    var codes = Form.questionsOf(form).map(function (q) { return q.code; });
    var header = ["submission_id", "province_code", "submitted_at"].concat(codes);
    var lines = [header.map(csvCell).join(",")];
    items.forEach(function (item) {
      var row = [item.submission_id, item.province, new Date(item.completed_at).toISOString()];
      codes.forEach(function (code) {
        var value = item.answers[code];
        if (value === undefined || value === null) { row.push(""); }
        else if (Array.isArray(value)) { row.push(value.join("|")); }
        else { row.push(String(value)); }
      });
      lines.push(row.map(csvCell).join(","));
    });
    return "\ufeff" + lines.join("\n") + "\n";
  }

  function renderExports(all) {
    var box = $("exports");
    box.textContent = "";
    var unsent = all.filter(function (r) { return r.status === "queued" || r.status === "refused"; });
    var codes = [];
    unsent.forEach(function (r) { if (codes.indexOf(r.questionnaire) === -1) { codes.push(r.questionnaire); } });
    codes.forEach(function (code) {
      var items = unsent.filter(function (r) { return r.questionnaire === code; });
      var form = formFor(items[0]) || { sections: [], title: { vi: code, en: code } };
      var label = fill(texts.export_unsent, { title: pick(form.title), count: items.length });
      box.appendChild(button(label, "btn btn-outline-secondary btn-sm me-2 mb-2", function () {
        var blob = new Blob([csvFor(form, items)], { type: "text/csv;charset=utf-8" });
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = "unsent-" + code + "-" + new Date().toISOString().slice(0, 10) + ".csv";
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      }));
    });
    $("exports-none").hidden = codes.length > 0;
  }

  // --- filling a survey ------------------------------------------------------------------

  function uuid() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function start(form) {
    var item = {
      submission_id: uuid(), owner: me.id, questionnaire: form.code, version: form.version,
      province: me.province.code, answers: {}, status: "draft", form: form,
      created_at: Date.now(), active_ms: 0, attempts: 0, last_error: ""
    };
    Store.saveRecord(item).then(function () { resume(item); });
  }

  function resume(item) {
    open = item;
    tick = Date.now();
    var form = formFor(item);
    $("survey-title").textContent = pick(form.title);
    $("error-summary").hidden = true;
    Form.render($("fields"), form, item.answers || {}, lang, texts);
    Form.applySkips($("fields"), form);
    show("survey");
    $("survey-title").focus();
  }

  // Count the time spent on the open survey, and keep what it holds so far.
  function keepDraft() {
    if (!open) { return Promise.resolve(); }
    var now = Date.now();
    var spent = document.visibilityState === "hidden" ? 0 : now - tick;
    tick = now;
    var raw = Form.read($("fields"), formFor(open));
    var id = open.submission_id;
    return Store.update(id, function (r) {
      r.answers = raw; r.active_ms = (r.active_ms || 0) + spent;
    }).then(function (saved) { if (open && saved) { open = saved; } return saved; });
  }

  function save(event) {
    event.preventDefault();
    var form = formFor(open);
    var raw = Form.read($("fields"), form);
    var result = Form.cleanAnswers(form, raw);
    var codes = Object.keys(result.problems);
    Form.showProblems($("fields"), form, result.problems, texts);
    if (codes.length) {
      var summary = $("error-summary");
      var list = summary.querySelector("ul");
      list.textContent = "";
      codes.forEach(function (code) {
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#q-" + code;
        link.className = "alert-link";
        link.textContent = code + ": " + Form.message(result.problems[code], texts);
        li.appendChild(link);
        list.appendChild(li);
      });
      summary.hidden = false;
      summary.focus();
      return keepDraft();
    }
    return keepDraft().then(function () {
      return Store.update(open.submission_id, function (r) {
        r.answers = result.answers;
        r.status = "queued";
        r.completed_at = Date.now();
        r.duration_seconds = Math.min(MAX_DURATION, Math.round((r.active_ms || 0) / 1000));
      });
    }).then(function () {
      open = null;
      say(texts.saved);
      show("home");
      askForSync();
      return renderHome().then(send);
    });
  }

  function leaveSurvey() {
    keepDraft().then(function () {
      open = null;
      show("home");
      return renderHome();
    });
  }

  function sendAgain(item) {
    Store.update(item.submission_id, function (r) {
      r.status = "queued"; r.reason = ""; r.last_error = "";
    }).then(renderHome).then(send);
  }

  // --- sending ---------------------------------------------------------------------------

  function askForSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register("outbox"); }
      return null;
    }).catch(function () { /* no Background Sync: the timer and `online` send instead */ });
  }

  function send() {
    if (!me || !navigator.onLine) { return Promise.resolve(); }
    clearTimeout(retryTimer);
    return Store.sendOutbox().then(function (tally) {
      if (tally.sent) { say(fill(texts.sent_now, { count: tally.sent })); }
      if (tally.waiting && navigator.onLine) {
        retryTimer = setTimeout(send, retryMs);
        retryMs = Math.min(retryMs * 2, 60000);
      } else {
        retryMs = 2000;
      }
      return me && !open ? renderHome() : null;
    });
  }

  function showNetwork() {
    $("network").textContent = navigator.onLine ? texts.online : texts.offline;
    $("network").className = "badge " + (navigator.onLine ? "text-bg-success" : "text-bg-secondary");
  }

  function startUp() {
    return refresh().then(function (who) {
      me = who;
      if (!me) { open = null; show("signed-out"); return null; }
      return Store.assignments(me.id).then(function (stored) {
        given = stored ? stored.data : { questionnaires: [] };
        if (open && open.owner === me.id) { return null; }  // a survey in progress stays
        open = null;
        show("home");
        return renderHome();
      }).then(send);
    });
  }

  function askVersion() {
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker) { return; }
    var channel = new MessageChannel();
    channel.port1.onmessage = function (event) {
      $("app-version").textContent = event.data.version;
      root.setAttribute("data-worker-version", event.data.version);
    };
    worker.postMessage({ type: "version" }, [channel.port2]);
  }

  // --- wiring ------------------------------------------------------------------------------

  $("survey-form").addEventListener("submit", save);
  $("survey-form").addEventListener("change", function () {
    Form.applySkips($("fields"), formFor(open));
    keepDraft();
  });
  $("back").addEventListener("click", leaveSurvey);
  $("sign-out").addEventListener("click", askSignOut);
  $("send-now").addEventListener("click", function () { send(); });
  $("confirm-cancel").addEventListener("click", function () { $("confirm-sign-out").close(); });
  $("confirm-go").addEventListener("click", function () {
    $("confirm-sign-out").close();
    signOut();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { keepDraft(); } else { tick = Date.now(); }
  });
  window.addEventListener("online", function () {
    showNetwork();
    startUp();
  });
  window.addEventListener("offline", showNetwork);
  setInterval(function () { if (!open) { send(); } }, TIMER_MS);
  showNetwork();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.getAttribute("data-worker"), { scope: root.getAttribute("data-scope") })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { root.setAttribute("data-cached", "true"); askVersion(); })
      .catch(function () { say(texts.no_worker); });
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      askVersion();
      say(texts.updated);
    });
  }
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then(function (done) {
      return done || navigator.storage.persist();
    }).then(function () { return me ? storage() : null; });
  }
  startUp().then(function () { root.setAttribute("data-ready", "true"); });
})();
