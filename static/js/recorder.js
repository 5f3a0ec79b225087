// Record from the microphone with MediaRecorder and hand the recording to the upload
// form's file input, so the same form (and server path) handles uploads and recordings.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var input = form && form.querySelector("input[type=file]");
  var panel = document.getElementById("recorder");
  var button = document.getElementById("record-button");
  var status = document.getElementById("record-status");
  if (!form || !input || !window.MediaRecorder || !navigator.mediaDevices) return;
  panel.hidden = false;

  var recorder = null;
  var chunks = [];
  var started = 0;
  var timer = null;

  function pickType() {
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return "";
  }

  function extension(type) {
    if (type.indexOf("ogg") >= 0) return "ogg";
    if (type.indexOf("mp4") >= 0) return "m4a";
    return "webm";
  }

  function stop() {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  button.addEventListener("click", function () {
    if (recorder && recorder.state === "recording") { stop(); return; }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = pickType();
      recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      chunks = [];
      recorder.ondataavailable = function (event) { if (event.data.size) chunks.push(event.data); };
      recorder.onstop = function () {
        clearInterval(timer);
        stream.getTracks().forEach(function (track) { track.stop(); });
        var mime = recorder.mimeType || type || "audio/webm";
        var file = new File(chunks, "microphone." + extension(mime), { type: mime });
        var transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
        button.textContent = "● Record again";
        status.textContent = "Recorded " + ((Date.now() - started) / 1000).toFixed(1) + " s — analysing…";
        form.requestSubmit ? form.requestSubmit() : form.submit();
      };
      recorder.start(250);
      started = Date.now();
      button.textContent = "■ Stop";
      timer = setInterval(function () {
        status.textContent = "Recording… " + ((Date.now() - started) / 1000).toFixed(0) + " s";
      }, 250);
    }).catch(function (error) {
      status.textContent = "The microphone is not available: " + error.message;
    });
  });
})();
