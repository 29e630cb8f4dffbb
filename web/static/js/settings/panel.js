/* 环节设置: the modeler's panel for an element's yf:settings (a JSON object on the element).
   Each feature registers its fields with ysflowSettings.field({...}) in a file of its own under
   js/settings/; the panel draws the fields of the selected element's type and writes the object
   back through bpmn-js's modeling, so undo, redo and export see it. */
(function () {
  'use strict';

  var fields = [];

  // bpmn-js learns the attribute's namespace, so it reads, keeps and writes yf:settings.
  var moddle = {
    name: 'YingshangFlow', prefix: 'yf', uri: 'https://yingshang-flow.example/bpmn/settings',
    xml: { tagAlias: 'lowerCase' },
    types: [{ name: 'ElementSettings', extends: ['bpmn:BaseElement'],
              properties: [{ name: 'settings', isAttr: true, type: 'String' }] }]
  };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function read(element) {
    var raw = element.businessObject.get('yf:settings');
    if (!raw) { return {}; }
    try {
      var value = JSON.parse(raw);
      return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
    } catch (e) { return {}; }
  }

  function applies(field, element) {
    return (field.types || ['bpmn:UserTask']).indexOf(element.type) >= 0;
  }

  function control(field, value) {
    var id = 'yf-setting-' + field.key;
    var label = '<label class="form-label small mb-1" for="' + id + '">' + escapeHtml(field.label) + '</label>';
    if (field.type === 'flags') {
      var chosen = Array.isArray(value) ? value : [];
      return '<fieldset class="mb-2"><legend class="form-label small mb-1">' + escapeHtml(field.label) + '</legend>' +
        field.options.map(function (o) {
          var box = id + '-' + o[0];
          return '<div class="form-check form-check-inline"><input class="form-check-input" type="checkbox" id="' + box +
            '" data-setting="' + field.key + '" value="' + escapeHtml(o[0]) + '"' + (chosen.indexOf(o[0]) >= 0 ? ' checked' : '') +
            '><label class="form-check-label small" for="' + box + '">' + escapeHtml(o[1]) + '</label></div>';
        }).join('') + '</fieldset>';
    }
    if (field.type === 'select') {
      return '<div class="mb-2">' + label + '<select class="form-select form-select-sm" id="' + id + '" data-setting="' +
        field.key + '"><option value="">' + escapeHtml(field.none || '（不设置）') + '</option>' +
        field.options.map(function (o) {
          return '<option value="' + escapeHtml(o[0]) + '"' + (value === o[0] ? ' selected' : '') + '>' + escapeHtml(o[1]) + '</option>';
        }).join('') + '</select></div>';
    }
    var type = field.type === 'number' ? 'number' : 'text';
    var shown = value === undefined || value === null ? '' : (field.type === 'json' ? JSON.stringify(value) : value);
    return '<div class="mb-2">' + label + '<input class="form-control form-control-sm" type="' + type + '" id="' + id +
      '" data-setting="' + field.key + '" value="' + escapeHtml(shown) + '"' +
      (field.placeholder ? ' placeholder="' + escapeHtml(field.placeholder) + '"' : '') + '></div>';
  }

  function collect(container, field, settings) {
    var inputs = container.querySelectorAll('[data-setting="' + field.key + '"]');
    var value;
    if (field.type === 'flags') {
      value = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
      if (!value.length) { value = undefined; }
    } else {
      var text = inputs[0] ? inputs[0].value.trim() : '';
      if (!text) { value = undefined; }
      else if (field.type === 'number') { value = Number(text); }
      else if (field.type === 'json') { try { value = JSON.parse(text); } catch (e) { value = text; } }
      else { value = text; }
    }
    if (value === undefined) { delete settings[field.key]; } else { settings[field.key] = value; }
  }

  function attach(modeler, container) {
    var current = null;

    function draw(element) {
      current = element && fields.some(function (f) { return applies(f, element); }) ? element : null;
      if (!current) {
        container.innerHTML = '<p class="text-muted small mb-0">' + escapeHtml(container.dataset.empty || '') + '</p>';
        return;
      }
      var settings = read(current);
      container.innerHTML = '<p class="small mb-2"><code>' + escapeHtml(current.id) + '</code></p>' +
        fields.filter(function (f) { return applies(f, current); }).map(function (f) {
          return control(f, settings[f.key]);
        }).join('');
    }

    container.addEventListener('change', function () {
      if (!current) { return; }
      var settings = read(current);
      fields.filter(function (f) { return applies(f, current); }).forEach(function (f) { collect(container, f, settings); });
      var text = Object.keys(settings).length ? JSON.stringify(settings) : undefined;
      modeler.get('modeling').updateProperties(current, { 'yf:settings': text });
    });
    modeler.on('selection.changed', function (event) { draw(event.newSelection && event.newSelection[0]); });
    draw(null);
  }

  window.ysflowSettings = {
    moddle: moddle,
    attach: attach,
    read: read,
    /* { key, label, type: flags|select|number|text|json, options: [[value, label]], types: ['bpmn:UserTask'] } */
    field: function (definition) { fields.push(definition); }
  };
})();
