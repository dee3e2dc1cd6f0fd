// The offline app's storage and outbox, shared by the page and the service worker.
//
// One IndexedDB database holds, under each enumerator's account id, the questionnaires
// they were given and their records (a survey in progress, queued, refused or sent).
// Nothing is read without the account it belongs to: another enumerator signed in on the
// same device sees none of it. A record leaves the outbox only when the server has
// acknowledged it (201, or 200 for a resend) or stays there with the server's reason.
(function (scope) {
  "use strict";

  var DB_NAME = "par-collect";
  var DB_VERSION = 1;
  var SEND_URL = "/collect/api/submissions";
  var LOCK = "par-collect-outbox";
  var dbPromise = null;

  function open() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      // Later versions only add stores or indexes: records are never rewritten on upgrade.
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta"); }
        if (!db.objectStoreNames.contains("assignments")) {
          db.createObjectStore("assignments", { keyPath: "owner" });
        }
        if (!db.objectStoreNames.contains("records")) {
          var records = db.createObjectStore("records", { keyPath: "submission_id" });
          records.createIndex("owner", "owner");
        }
      };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      request.onerror = function () { dbPromise = null; reject(request.error); };
    });
    return dbPromise;
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
        work(tx.objectStore(storeName), function (value) { result = value; });
      });
    });
  }

  function getValue(storeName, key) {
    return run(storeName, "readonly", function (store, done) {
      var request = store.get(key);
      request.onsuccess = function () { done(request.result); };
    });
  }

  function putValue(storeName, value, key) {
    return run(storeName, "readwrite", function (store) {
      if (key === undefined) { store.put(value); } else { store.put(value, key); }
    });
  }

  // The signed-in enumerator ({id, username, province, csrf}) or null.
  function current() { return getValue("meta", "current").then(function (v) { return v || null; }); }
  function setCurrent(who) { return putValue("meta", who, "current"); }
  function clearCurrent() {
    return run("meta", "readwrite", function (store) { store.delete("current"); });
  }

  function assignments(owner) { return getValue("assignments", owner); }
  function saveAssignments(owner, data) {
    return putValue("assignments", { owner: owner, data: data, saved_at: Date.now() });
  }

  function records(owner) {
    return run("records", "readonly", function (store, done) {
      var request = store.index("owner").getAll(owner);
      request.onsuccess = function () {
        done(request.result.sort(function (a, b) { return a.created_at - b.created_at; }));
      };
    });
  }

  function record(owner, id) {
    return getValue("records", id).then(function (found) {
      return found && found.owner === owner ? found : null;
    });
  }

  function saveRecord(item) { return putValue("records", item); }

  // A record changed in one transaction: `change` gets the stored record and edits it.
  function update(id, change) {
    return run("records", "readwrite", function (store, done) {
      var request = store.get(id);
      request.onsuccess = function () {
        if (!request.result) { return; }
        change(request.result);
        store.put(request.result);
        done(request.result);
      };
    });
  }

  function removeRecord(owner, id) {
    return run("records", "readwrite", function (store) {
      var request = store.get(id);
      request.onsuccess = function () {
        if (request.result && request.result.owner === owner) { store.delete(id); }
      };
    });
  }

  function body(item) {
    var data = {
      submission_id: item.submission_id, questionnaire: item.questionnaire,
      version: item.version, province: item.province, answers: item.answers,
      enumerator: item.owner
    };
    if (item.duration_seconds !== null && item.duration_seconds !== undefined) {
      data.duration_seconds = item.duration_seconds;
    }
    return JSON.stringify(data);
  }

  function reasonOf(payload, status) {
    if (payload && payload.errors && payload.errors.length) {
      return payload.errors.map(function (e) {
        return (e.field ? e.field + ": " : "") + e.message;
      }).join("; ");
    }
    return "HTTP " + status;
  }

  // The server refused the record for good: it stays, with the reason, until someone acts.
  var FINAL = [400, 404, 409, 410, 413, 415];

  function sendOne(who, item) {
    return fetch(SEND_URL, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": who.csrf || "" },
      body: body(item)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (payload) {
        if (response.status === 200 || response.status === 201) {
          return update(item.submission_id, function (r) {
            r.status = "sent"; r.receipt = payload.receipt; r.sent_at = Date.now();
            r.answers = null; r.form = null; r.last_error = "";
          }).then(function () { return "sent"; });
        }
        if (FINAL.indexOf(response.status) !== -1) {
          return update(item.submission_id, function (r) {
            r.status = "refused"; r.reason = reasonOf(payload, response.status);
            r.refused_at = Date.now();
          }).then(function () { return "refused"; });
        }
        // 401/403 (signed out, another account, an old CSRF token), 429, 5xx: try later
        return update(item.submission_id, function (r) {
          r.attempts = (r.attempts || 0) + 1;
          r.last_error = response.status === 401 || response.status === 403 ? "signin" : "server";
        }).then(function () { return "stop"; });
      });
    }, function () {
      return update(item.submission_id, function (r) {
        r.attempts = (r.attempts || 0) + 1; r.last_error = "network";
      }).then(function () { return "stop"; });
    });
  }

  function sendQueued() {
    return current().then(function (who) {
      if (!who) { return { sent: 0, refused: 0, waiting: 0 }; }
      return records(who.id).then(function (all) {
        var queued = all.filter(function (r) { return r.status === "queued"; });
        var tally = { sent: 0, refused: 0, waiting: queued.length };
        var chain = Promise.resolve("go");
        queued.forEach(function (item) {
          chain = chain.then(function (state) {
            if (state === "stop") { return "stop"; }
            return sendOne(who, item).then(function (outcome) {
              if (outcome === "sent") { tally.sent += 1; tally.waiting -= 1; }
              if (outcome === "refused") { tally.refused += 1; tally.waiting -= 1; }
              return outcome;
            });
          });
        });
        return chain.then(function () { return tally; });
      });
    });
  }

  // Send the signed-in enumerator's queued records, one sender at a time per device.
  function sendOutbox() {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request(LOCK, sendQueued);
    }
    return sendQueued();
  }

  scope.CollectStore = {
    current: current, setCurrent: setCurrent, clearCurrent: clearCurrent,
    assignments: assignments, saveAssignments: saveAssignments,
    records: records, record: record, saveRecord: saveRecord, update: update,
    removeRecord: removeRecord, sendOutbox: sendOutbox
  };
})(self);
