"""The version diff: form changes per user task (fields added, removed and changed, in order), and
no change reported for lists whose order means nothing (a lane's elements, a node's flows)."""

import copy
import re

from engine.diff import diff_definitions
from workflows import definitions_admin
from workflows.form_diff import diff_forms

from .test_admin import FORMS, RECTIFICATION, client_for


def reversed_refs(xml: str, tag: str) -> str:
    """The diagram with the consecutive <bpmn:tag> children of each element in reverse order."""
    pattern = re.compile(rf"((?:[ \t]*<bpmn:{tag}>[^<]*</bpmn:{tag}>\n)+)")
    return pattern.sub(lambda m: "".join(reversed(m.group(1).splitlines(keepends=True))), xml)


def test_reordering_a_lanes_elements_or_a_nodes_flows_is_not_a_change():
    for tag in ("flowNodeRef", "incoming", "outgoing"):
        reordered = reversed_refs(RECTIFICATION, tag)
        assert reordered != RECTIFICATION, tag
        assert diff_definitions(RECTIFICATION, reordered).empty, tag
    moved = RECTIFICATION.replace("        <bpmn:flowNodeRef>rectify</bpmn:flowNodeRef>\n", "").replace(
        "<bpmn:flowNodeRef>verify</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>verify</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>rectify</bpmn:flowNodeRef>")
    changed = {c.element_id for c in diff_definitions(RECTIFICATION, moved).changed}
    assert changed == {"lane_inspector", "lane_responsible_unit"}


def changed_forms() -> dict:
    forms = copy.deepcopy(FORMS)
    rectify = forms["rectify"]
    rectify["properties"] = {
        "contact": {"type": "string", "title": "联系人"},
        "report": rectify["properties"]["report"],
        "measures": {**rectify["properties"]["measures"], "title": "整改举措", "maxLength": 8000},
        "attachments": rectify["properties"]["attachments"],
    }
    rectify["required"] = ["measures", "report"]
    forms["verify"]["title"] = "核查（新）"
    return forms


def test_form_changes_are_listed_per_task_and_field_in_order():
    names = {"rectify": "整改", "verify": "核查"}
    changes = {c.element_id: c for c in diff_forms(FORMS, changed_forms(), names)}
    assert set(changes) == {"rectify", "verify"}
    rectify = changes["rectify"]
    assert (rectify.kind, rectify.name) == ("changed", "整改")
    assert [f.name for f in rectify.added] == ["contact"]
    assert [f.name for f in rectify.removed] == ["evidence"]
    assert [(f.name, f.what) for f in rectify.changed] == [("measures", ["标题", "校验规则"])]
    assert rectify.reordered and not rectify.other
    verify = changes["verify"]
    assert (verify.added, verify.removed, verify.changed, verify.reordered, verify.other) == ([], [], [], False, True)

    only_order = copy.deepcopy(FORMS)
    props = only_order["rectify"]["properties"]
    only_order["rectify"]["properties"] = dict(reversed(list(props.items())))
    [moved] = diff_forms(FORMS, only_order, names)
    assert moved.reordered and not (moved.added or moved.removed or moved.changed)
    added = diff_forms({k: v for k, v in FORMS.items() if k != "verify"}, FORMS, names)
    assert [(c.element_id, c.kind, [f.name for f in c.added]) for c in added] == [
        ("verify", "added", list(FORMS["verify"]["properties"]))]
    assert diff_forms(FORMS, copy.deepcopy(FORMS), names) == []


def test_the_diff_page_shows_form_changes_and_not_a_reordered_lane(platform):
    with platform.db.transaction() as session:
        definitions_admin.deploy_diagram(platform, session, "admin", reversed_refs(RECTIFICATION, "flowNodeRef"),
                                         changed_forms())
    page = client_for(platform, "admin").get("/admin/processes/rectification/diff?from=1&to=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    changed_list = html[html.index('id="diff-changed-list"'):html.index('id="diff-forms"')]
    assert "lane_" not in changed_list
    forms = html[html.index('id="diff-forms"'):html.index('id="diff-error"')]
    rectify = forms[forms.index('data-element-id="rectify"'):]
    rectify = rectify[:rectify.index("</li>")]
    assert re.findall(r'class="fields-(\w+)"', rectify) == ["added", "removed", "changed", "reordered"]
    assert 'data-field="contact"' in rectify and "联系人" in rectify and 'data-field="evidence"' in rectify
    assert 'data-element-id="verify"' in forms
    assert '"forms": ["rectify", "verify"]' in html
