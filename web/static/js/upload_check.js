/* 营商通办 — check evidence files against the server's limits before a form is sent.
 * A form with data-max-bytes (one file) and data-max-total (all files) is checked whenever a file is
 * chosen and again on submit: a file too large is named beside its field and the form is not sent,
 * so nothing typed is lost. data-msg-file and data-msg-total hold the messages ({name}, {mb}).
 * The server checks the same limits; this only spares the wait and the round trip. */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function fieldOf(input) {
    return input.closest(".field") || input.parentNode;
  }

  /* One message per field, under its first file input; a field may hold more than one input (the
   * files chosen and, on a phone, a photo taken), each marked invalid on its own. */
  function show(field, inputs, messages) {
    var message = messages.filter(Boolean)[0] || "";
    var feedback = field.querySelector(".upload-feedback");
    if (!feedback) {
      feedback = document.createElement("div");
      feedback.className = "invalid-feedback d-block upload-feedback";
      feedback.id = "upload-error-" + (field.dataset.field || inputs[0].name);
      feedback.setAttribute("role", "alert");
      inputs[0].insertAdjacentElement("afterend", feedback);
    }
    feedback.textContent = message;
    feedback.hidden = !message;
    inputs.forEach(function (input, i) {
      input.classList.toggle("is-invalid", Boolean(messages[i]));
      input.setAttribute("aria-invalid", messages[i] ? "true" : "false");
    });
  }

  /* True when every chosen file fits; otherwise each offending field says why. */
  function check(form) {
    var maxBytes = Number(form.dataset.maxBytes);
    var maxTotal = Number(form.dataset.maxTotal);
    var inputs = Array.prototype.slice.call(form.querySelectorAll('input[type="file"]'));
    var total = 0;
    var messages = inputs.map(function (input) {
      var message = "";
      Array.prototype.forEach.call(input.files || [], function (file) {
        total += file.size;
        if (!message && file.size > maxBytes) {
          message = format(form.dataset.msgFile, { name: file.name });
        }
      });
      return message;
    });
    var fits = messages.every(function (message) { return !message; });
    if (fits && total > maxTotal) {
      messages = inputs.map(function (input) {
        return input.files && input.files.length ? form.dataset.msgTotal : "";
      });
      fits = false;
    }
    var fields = inputs.map(fieldOf).filter(function (field, i, all) { return all.indexOf(field) === i; });
    fields.forEach(function (field) {
      var own = inputs.filter(function (input) { return fieldOf(input) === field; });
      show(field, own, own.map(function (input) { return messages[inputs.indexOf(input)]; }));
    });
    return fits;
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (event.target.type === "file" && form && form.dataset.maxBytes) {
      check(form);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.maxBytes && !check(form)) {
      event.preventDefault();
      var first = form.querySelector('input[type="file"].is-invalid');
      if (first) {
        first.focus();
      }
    }
  });
})();
