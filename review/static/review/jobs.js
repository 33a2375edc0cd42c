// The shot page's jobs, live: progress, message, log and failure from the shot's jobs socket; a Retry button
// appears on a failed job for whoever may start that kind of job.
(function () {
  "use strict";
  var table = document.getElementById("jobs");
  if (!table) return;
  var body = table.tBodies[0];
  var retryKinds = (table.dataset.retryKinds || "").split(",").filter(Boolean);
  var chunks = {}; // parent id -> {chunk id: state}

  function cell(tr, cls) { return tr.querySelector("." + cls); }

  function newRow(msg) {
    var empty = body.querySelector(".jobs-empty");
    if (empty) empty.remove();
    var tr = document.createElement("tr");
    tr.id = "job-" + msg.job;
    tr.dataset.kind = msg.kind;
    tr.innerHTML = "<td></td><td></td><td><span class='status job-state'></span> <small class='job-attempt'></small></td>" +
      "<td><progress max='1' value='0'></progress> <small class='job-chunks'></small></td>" +
      "<td><span class='job-message'></span><div class='job-error' hidden></div>" +
      "<details><summary>log</summary><pre class='job-log'></pre></details></td><td class='job-actions'></td>";
    tr.cells[0].textContent = msg.job;
    tr.cells[1].textContent = msg.kind_label;
    body.insertBefore(tr, body.firstChild);
    return tr;
  }

  function retryForm(jobId) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = table.dataset.retryUrl.replace("/0/", "/" + jobId + "/");
    var token = document.createElement("input");
    token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = table.dataset.csrf;
    var button = document.createElement("button");
    button.textContent = "Retry";
    form.appendChild(token); form.appendChild(button);
    return form;
  }

  function showChunk(msg) {
    var states = chunks[msg.parent] = chunks[msg.parent] || {};
    states[msg.job] = msg.state;
    var row = document.getElementById("job-" + msg.parent);
    if (!row) return;
    var ids = Object.keys(states);
    var done = ids.filter(function (id) { return states[id] === "done"; }).length;
    cell(row, "job-chunks").textContent = done + "/" + ids.length + " chunks";
  }

  function show(msg) {
    if (msg.type !== "job.updated") return;
    if (msg.parent) { showChunk(msg); return; }
    var tr = document.getElementById("job-" + msg.job) || newRow(msg);
    tr.dataset.state = msg.state;
    var state = cell(tr, "job-state");
    state.textContent = msg.state_label;
    state.style.setProperty("--c", msg.colour);
    cell(tr, "job-attempt").textContent = msg.attempt > 1 ? "attempt " + msg.attempt + "/" + msg.max_attempts : "";
    tr.querySelector("progress").value = msg.progress;
    cell(tr, "job-message").textContent = msg.message;
    var error = cell(tr, "job-error");
    error.textContent = msg.error;
    error.hidden = !msg.error;
    var log = cell(tr, "job-log");
    if (msg.log_tail) log.textContent = msg.log_tail;
    else if (msg.log_append) log.textContent += msg.log_append;
    var actions = cell(tr, "job-actions");
    actions.textContent = "";
    if (msg.state === "failed" && retryKinds.indexOf(msg.kind) >= 0) actions.appendChild(retryForm(msg.job));
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + table.dataset.ws);
    socket.onopen = function () { table.dataset.live = "1"; };
    socket.onmessage = function (event) { show(JSON.parse(event.data)); };
    socket.onclose = function () { table.dataset.live = ""; setTimeout(connect, 3000); };
  }
  connect();
})();
