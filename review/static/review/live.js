// Live updates without reload: the board and the shot page listen on their websocket and show changes.
(function () {
  "use strict";
  function connect(path, onMessage) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + path);
    socket.onmessage = function (event) { onMessage(JSON.parse(event.data)); };
    socket.onclose = function () { setTimeout(function () { connect(path, onMessage); }, 3000); };
  }
  function setStatus(el, msg) {
    if (!el) return;
    el.textContent = msg.status_label;
    el.dataset.status = msg.status;
    if (msg.colour) el.style.setProperty("--c", msg.colour);
  }
  var board = document.getElementById("board-root");
  if (board && !window.facereplacePlayerBoard) {
    connect(board.dataset.ws, function (msg) {
      if (msg.type === "status.changed") {
        setStatus(document.querySelector('#shot-' + msg.shot + ' .status'), msg);
      }
    });
  }
  var shot = document.getElementById("shot-live");
  if (shot && !window.facereplacePlayer) {
    connect(shot.dataset.ws, function (msg) {
      if (msg.type === "status.changed") {
        setStatus(document.getElementById("shot-status"), msg);
      } else if (msg.type === "render.progress") {
        var row = document.getElementById("render-" + msg.render);
        if (row) { row.querySelector("progress").value = msg.progress; row.querySelector(".render-state").textContent = msg.state; }
      }
      var log = document.getElementById("activity");
      if (log && msg.type !== "render.progress") {
        var li = document.createElement("li");
        li.textContent = msg.type.replace(".", " ") + " (reload for details)";
        log.insertBefore(li, log.firstChild);
      }
    });
  }
})();
