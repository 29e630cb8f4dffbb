/* 流程管理: the BPMN modeler with validation markers and the forms area, and the version diff view.
   bpmn-js comes from npm (static/vendor); this file only wires it to our endpoints. */
(function () {
  'use strict';

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  function postJson(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify(body)
    });
  }

  // bpmn-js writes a carriage return raw, which any XML reader turns into a space (in an attribute)
  // or drops (in text); as a character reference it survives, so labels keep their line breaks.
  function saveXml(modeler) {
    return modeler.saveXML({ format: true }).then(function (result) {
      return result.xml.replace(/\r/g, '&#13;');
    });
  }
  window.ysflowSaveXml = saveXml;

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // -- the modeler page ---------------------------------------------------------------------------

  function startModeler(data) {
    var labels = data.labels;
    // diagram-js binds the keyboard to the canvas itself (since 15); naming a target is refused with a console error.
    var settings = window.ysflowSettings;
    var modeler = new BpmnJS({ container: '#canvas', moddleExtensions: settings ? { yf: settings.moddle } : {} });
    if (settings) { settings.attach(modeler, document.getElementById('element-settings')); }
    var forms = {};
    Object.keys(data.forms || {}).forEach(function (id) {
      var value = data.forms[id];
      forms[id] = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    });
    var problemIds = [];
    var select = document.getElementById('form-element');
    var textarea = document.getElementById('form-json');
    var preview = document.getElementById('form-preview');
    var status = document.getElementById('status');

    function service(name) { return modeler.get(name); }

    function setStatus(kind, html) {
      status.className = 'alert alert-' + kind;
      status.innerHTML = html;
    }

    // The elements that carry a form: the start form ('start') and every user task.
    function formElements() {
      var list = [{ id: 'start', label: labels.start }];
      service('elementRegistry').filter(function (el) {
        return el.type === 'bpmn:UserTask';
      }).forEach(function (el) {
        var name = el.businessObject.name || '';
        list.push({ id: el.id, label: (name ? name + ' ' : '') + '(' + el.id + ')' + (forms[el.id] ? '' : ' ' + labels.no_form) });
      });
      return list;
    }

    function refreshFormList() {
      var current = select.value;
      var items = formElements();
      select.innerHTML = items.map(function (item) {
        return '<option value="' + escapeHtml(item.id) + '">' + escapeHtml(item.label) + '</option>';
      }).join('');
      if (items.some(function (item) { return item.id === current; })) {
        select.value = current;
      }
    }

    function showForm(id) {
      select.value = id;
      textarea.value = forms[id] || '';
      renderPreview();
    }

    function renderPreview() {
      var text = textarea.value;
      if (!text.trim()) {
        preview.innerHTML = '<span class="text-muted small">' + escapeHtml(labels.no_form) + '</span>';
        return;
      }
      postJson(data.urls.preview, { schema: text }).then(function (r) { return r.text(); }).then(function (html) {
        preview.innerHTML = html;
      });
    }

    // Only forms of elements still in the diagram are saved.
    function currentForms() {
      var wanted = {};
      formElements().forEach(function (item) { wanted[item.id] = true; });
      service('elementRegistry').filter(function (el) { return el.type === 'bpmn:StartEvent'; })
        .forEach(function (el) { wanted[el.id] = true; });
      var result = {};
      Object.keys(forms).forEach(function (id) {
        if (wanted[id] && forms[id].trim()) { result[id] = forms[id]; }
      });
      return result;
    }

    function clearProblems() {
      var canvas = service('canvas');
      problemIds.forEach(function (id) { canvas.removeMarker(id, 'has-problem'); });
      problemIds = [];
      service('overlays').remove({ type: 'problem' });
    }

    function showProblems(problems) {
      clearProblems();
      var registry = service('elementRegistry');
      var list = document.getElementById('problems');
      document.getElementById('problem-count').textContent = problems.length;
      if (!problems.length) {
        list.innerHTML = '<li class="list-group-item text-success small">' + escapeHtml(labels.none) + '</li>';
        return;
      }
      list.innerHTML = problems.map(function (p) {
        var known = p.element_id && registry.get(p.element_id);
        return '<li class="list-group-item small problem" data-element-id="' + escapeHtml(p.element_id || '') + '">' +
          (p.element_id ? '<code>' + escapeHtml(p.element_id) + '</code>' + (known ? '' : ' ' + escapeHtml(labels.not_in_diagram)) + '：' : '') +
          escapeHtml(p.message) + '</li>';
      }).join('');
      problems.forEach(function (p) {
        var element = p.element_id && registry.get(p.element_id);
        if (!element) { return; }
        if (problemIds.indexOf(p.element_id) < 0) {
          service('canvas').addMarker(p.element_id, 'has-problem');
          problemIds.push(p.element_id);
        }
        service('overlays').add(p.element_id, 'problem', {
          position: { top: -8, left: 0 },
          html: '<div class="problem-overlay" data-element-id="' + escapeHtml(p.element_id) + '">' + escapeHtml(p.message) + '</div>'
        });
      });
      list.querySelectorAll('.problem').forEach(function (item) {
        item.addEventListener('click', function () {
          var id = item.getAttribute('data-element-id');
          var element = id && registry.get(id);
          if (element) { service('selection').select(element); }
          if (id && (id === 'start' || (element && element.type === 'bpmn:UserTask'))) { showForm(id); }
        });
      });
    }

    function submit(dryRun) {
      setStatus('info', escapeHtml(labels.saving));
      return saveXml(modeler).then(function (xml) {
        return postJson(data.urls.deploy, {
          xml: xml, forms: currentForms(), dry_run: dryRun,
          migrate: document.getElementById('migrate').checked
        });
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (res) {
        var body = res.body;
        if (!body.ok) {
          showProblems(body.problems || [{ element_id: null, message: body.message }]);
          setStatus('danger', escapeHtml(labels.failed));
          return res;
        }
        showProblems([]);
        if (dryRun) {
          setStatus('success', escapeHtml(labels.valid));
          return res;
        }
        var html = escapeHtml(labels.deployed.replace('%(v)s', body.version)) +
          ' <a href="' + escapeHtml(body.index_url) + '">' + '↩</a>';
        if (body.migration) {
          html += '<br>' + escapeHtml(labels.moved.replace('%(n)s', body.migration.moved.length)) + '；' +
            escapeHtml(labels.skipped.replace('%(n)s', body.migration.skipped.length));
          body.migration.skipped.forEach(function (s) {
            html += '<br><small>#' + s.instance_id + '：' + escapeHtml(s.reason) + '</small>';
          });
        }
        setStatus('success', '<span id="deployed-version" data-version="' + body.version + '" data-id="' + body.id + '">' + html + '</span>');
        return res;
      }).catch(function (err) {
        setStatus('danger', escapeHtml(String(err)));
      });
    }

    function exportXml() {
      saveXml(modeler).then(function (xml) {
        var blob = new Blob([xml], { type: 'application/xml' });
        var link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = (data.key || 'process') + '.bpmn';
        link.click();
        URL.revokeObjectURL(link.href);
      });
    }

    select.addEventListener('change', function () { showForm(select.value); });
    var debouncedPreview = debounce(renderPreview, 300);
    var debouncedList = debounce(refreshFormList, 600);
    textarea.addEventListener('input', function () {
      forms[select.value] = textarea.value;
      debouncedPreview();
      debouncedList();
    });
    document.getElementById('form-template').addEventListener('click', function () {
      if (textarea.value.trim()) { return; }
      textarea.value = JSON.stringify({
        type: 'object', required: ['opinion'],
        properties: { opinion: { type: 'string', title: '意见', minLength: 1, 'x-widget': 'textarea' } },
        additionalProperties: false
      }, null, 2);
      forms[select.value] = textarea.value;
      renderPreview();
    });
    document.getElementById('validate-button').addEventListener('click', function () { submit(true); });
    document.getElementById('save-button').addEventListener('click', function () { submit(false); });
    document.getElementById('export-button').addEventListener('click', exportXml);

    modeler.on('elements.changed', debounce(refreshFormList, 200));
    modeler.on('selection.changed', function (event) {
      var element = event.newSelection && event.newSelection[0];
      if (element && element.type === 'bpmn:UserTask') { refreshFormList(); showForm(element.id); }
    });

    modeler.importXML(data.xml).then(function (result) {
      service('canvas').zoom('fit-viewport');
      refreshFormList();
      showForm(select.value || 'start');
      document.body.setAttribute('data-modeler-ready', 'true');
      if (result.warnings && result.warnings.length) {
        setStatus('warning', result.warnings.map(function (w) { return escapeHtml(w.message); }).join('<br>'));
      }
    }).catch(function (err) {
      setStatus('danger', escapeHtml(labels.import_error) + escapeHtml(err.message || String(err)));
      document.body.setAttribute('data-modeler-ready', 'error');
    });

    // For scripted use (and tests): the modeler, its forms, and the two actions.
    window.ysflowModeler = { modeler: modeler, forms: forms, validate: function () { return submit(true); },
      save: function () { return submit(false); }, showForm: showForm, refreshFormList: refreshFormList };
  }

  // -- the diff page --------------------------------------------------------------------------------

  function startDiff(data) {
    function draw(container, xml, marks) {
      var viewer = new BpmnJS({ container: container });
      return viewer.importXML(xml).then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        canvas.zoom('fit-viewport');
        Object.keys(marks).forEach(function (cls) {
          marks[cls].forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, cls); }
          });
        });
        return viewer;
      });
    }
    var ids = function (rows) { return rows.map(function (r) { return r.element_id; }); };
    // A task whose form changed is a changed task, though its element is the same.
    var whole = ids(data.changes.added).concat(ids(data.changes.removed));
    var changed = ids(data.changes.changed).concat((data.forms || []).filter(function (id) { return whole.indexOf(id) < 0; }));
    Promise.all([
      draw('#diff-old', data.old_xml, { 'diff-removed': ids(data.changes.removed), 'diff-changed': changed }),
      draw('#diff-new', data.new_xml, { 'diff-added': ids(data.changes.added), 'diff-changed': changed })
    ]).then(function () {
      document.body.setAttribute('data-diff-ready', 'true');
    }).catch(function (err) {
      document.body.setAttribute('data-diff-ready', 'error');
      document.getElementById('diff-error').textContent = err.message || String(err);
    });
  }

  var modelerData = document.getElementById('modeler-data');
  if (modelerData) { startModeler(JSON.parse(modelerData.textContent)); }
  var diffData = document.getElementById('diff-data');
  if (diffData) { startDiff(JSON.parse(diffData.textContent)); }
})();
