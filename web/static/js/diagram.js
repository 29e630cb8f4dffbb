/* 营商通办 — draw an instance's diagram with bpmn-js and mark finished and current activities.
 * The container carries data-url (the BPMN XML), data-done and data-current (JSON lists of element ids). */
(function () {
  "use strict";

  function markAll(canvas, registry, ids, marker) {
    ids.forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    });
  }

  function showError(container, message) {
    container.classList.add("d-flex", "align-items-center", "justify-content-center", "text-danger");
    container.textContent = message;
  }

  function draw(container) {
    var done = JSON.parse(container.dataset.done || "[]");
    var current = JSON.parse(container.dataset.current || "[]");
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        markAll(canvas, registry, done.filter(function (id) { return current.indexOf(id) < 0; }), "highlight-done");
        markAll(canvas, registry, current, "highlight-current");
        canvas.zoom("fit-viewport", "auto");
        container.dataset.ready = "1";
      })
      .catch(function () { showError(container, container.dataset.error || "Error"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("diagram");
    if (container && window.BpmnJS) {
      draw(container);
    }
  });
})();
