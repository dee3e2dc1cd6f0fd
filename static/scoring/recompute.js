// Follows a recompute's progress live by polling its status as JSON.
(function () {
  "use strict";
  var box = document.getElementById("recompute");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector(".progress");
  var status = document.getElementById("recompute-status");
  var done = document.getElementById("recompute-done");
  function show(data) {
    bar.style.width = data.progress + "%";
    bar.textContent = data.progress + "%";
    meter.setAttribute("aria-valuenow", data.progress);
    if (data.status === "done") {
      status.textContent = status.getAttribute("data-done");
      done.classList.remove("disabled");
    } else if (data.status === "failed") {
      status.textContent = status.getAttribute("data-failed");
    }
    return data.status === "running";
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) { if (show(data)) { setTimeout(poll, 500); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
