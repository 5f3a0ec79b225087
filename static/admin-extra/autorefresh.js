// Reload the training runs list while a run is queued or running, so that its
// progress ("epoch n of N") moves without a click. The reload waits while rows are
// selected for an action, so it never throws a selection away.
"use strict";
(function () {
  const script = document.currentScript;
  const seconds = Number(script && script.dataset.seconds) || 5;
  function busy() {
    return document.querySelector(
      "#changelist-form input.action-select:checked, #action-toggle:checked"
    );
  }
  function tick() {
    if (busy() || document.hidden) {
      window.setTimeout(tick, seconds * 1000);
      return;
    }
    window.location.reload();
  }
  window.setTimeout(tick, seconds * 1000);
})();
