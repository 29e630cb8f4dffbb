/* 营商通办 — draw an instance's diagram with bpmn-js and mark finished and current activities.
 * The container carries data-url (the BPMN XML), data-done and data-current (JSON lists of element ids).
 * The viewer pans and zooms with the mouse; here it also follows fingers (one drags, two pinch) and
 * the zoom buttons ([data-zoom] in #diagram-zoom: in, out, fit). */
(function () {
  "use strict";

  var MIN_SCALE = 0.2;
  var MAX_SCALE = 4;

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

  function clamp(scale) {
    return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
  }

  /* Touch: one finger moves the diagram, two fingers zoom around their midpoint and move it.
   * The container has touch-action: none, so the browser leaves these gestures to us. */
  function followFingers(container, canvas) {
    var fingers = {};
    var pinch = null;
    var last = null;

    function points() {
      return Object.keys(fingers).map(function (id) { return fingers[id]; });
    }

    function local(event) {
      var box = container.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    function start() {
      var p = points();
      last = p.length === 1 ? p[0] : null;
      pinch = null;
      if (p.length === 2) {
        pinch = { distance: Math.hypot(p[1].x - p[0].x, p[1].y - p[0].y) || 1, scale: canvas.zoom(),
                  mid: { x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 } };
      }
    }

    container.addEventListener("pointerdown", function (event) {
      if (event.pointerType !== "touch") {
        return;
      }
      fingers[event.pointerId] = local(event);
      start();
    });

    container.addEventListener("pointermove", function (event) {
      if (!(event.pointerId in fingers)) {
        return;
      }
      fingers[event.pointerId] = local(event);
      var p = points();
      if (pinch && p.length === 2) {
        var mid = { x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 };
        var distance = Math.hypot(p[1].x - p[0].x, p[1].y - p[0].y);
        canvas.scroll({ dx: mid.x - pinch.mid.x, dy: mid.y - pinch.mid.y });
        canvas.zoom(clamp(pinch.scale * distance / pinch.distance), mid);
        pinch.mid = mid;
      } else if (last && p.length === 1) {
        canvas.scroll({ dx: p[0].x - last.x, dy: p[0].y - last.y });
        last = p[0];
      }
      event.preventDefault();
    });

    function lift(event) {
      if (event.pointerId in fingers) {
        delete fingers[event.pointerId];
        start();  // from two fingers to one: carry on moving from where the finger is now
      }
    }
    container.addEventListener("pointerup", lift);
    container.addEventListener("pointercancel", lift);
  }

  function zoomButtons(viewer, canvas) {
    var zoomScroll = viewer.get("zoomScroll", false);
    document.querySelectorAll("#diagram-zoom [data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.dataset.zoom;
        if (how === "fit") {
          canvas.zoom("fit-viewport", "auto");
        } else if (zoomScroll) {
          zoomScroll.stepZoom(how === "in" ? 1 : -1);
        } else {
          canvas.zoom(clamp(canvas.zoom() * (how === "in" ? 1.25 : 0.8)));
        }
      });
    });
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
        followFingers(container, canvas);
        zoomButtons(viewer, canvas);
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
