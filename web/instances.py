"""The instance page: business data, current steps and who holds them, history and the diagram.

`case_file` gathers what the instance page and the task page both show above their content.
"""

from functools import lru_cache

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from lxml import etree
from sqlalchemy import select

from engine import queries
from engine.models import ProcessDefinition
from workflows import attachments
from workflows.forms import START_FORM, expand
from workflows.lanes import LANE_LABELS
from workflows.models import RectificationCase
from workflows.organisation import (
    ROLE_LABELS,
    actor_for,
    form_options,
    group_names,
    require_user,
    unit_names,
    user_names,
)
from workflows.rectification import STATUS_LABELS
from workflows.services import instance_for, may_act

from .domain_labels import label
from .event_labels import event_label
from .inbox import PROCESS_LABELS
from .platform import get_platform
from .step_names import step_name, translate_diagram

bp = Blueprint("instances", __name__, url_prefix="/instances")
# Data the hooks compute beside the forms' own fields.
EXTRA_LABELS = {"case_no": "案件编号", "lead_unit": "牵头单位", "drafter": "起草人", "inspector": "督查人员",
                "due_on": "整改期限"}
HIDDEN = {"opinion", "decision", "due_at", "attachments"}
QUIET_EVENTS = {"task_created"}  # the open steps already say where the work stands
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@lru_cache(maxsize=32)
def element_names(xml: str) -> dict[str, str]:
    """Element id → name of every named BPMN element of a diagram (definitions never change)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(xml.encode("utf-8"), parser)
    return {el.get("id"): el.get("name") for el in root.iter(f"{{{BPMN_NS}}}*") if el.get("id") and el.get("name")}


def _forms(session, definition) -> list[dict]:
    """The definition's forms with their choices filled in, the start form first."""
    options = form_options(session)
    keys = sorted(definition.forms or {}, key=lambda k: k != START_FORM)
    return [expand(definition.forms[key], options) for key in keys]


def _choices(prop: dict) -> dict:
    return {c.get("const"): c.get("title") for c in prop.get("oneOf", [])}


def _readable(choices: dict, value, default=None):
    """The name of a code (区政数局 for gov_data); lists and other values stay as they are."""
    if isinstance(value, list):
        return "、".join(str(_readable(choices, v, v)) for v in value)
    return choices.get(value, default) if isinstance(value, str | int) else default


def describe_data(session, definition, data: dict, names: dict) -> list[tuple[str, str]]:
    """The business data as (Chinese label, readable value), start-form fields first."""
    labels, values = {}, {}
    for schema in _forms(session, definition):
        for name, prop in schema.get("properties", {}).items():
            labels.setdefault(name, prop.get("title", name))
            values.setdefault(name, _choices(prop))
    units, people = names["units"], names["users"]
    values.update({"lead_unit": units, "drafter": people, "inspector": people})
    order = list(labels) + [k for k in EXTRA_LABELS if k not in labels]
    labels = {**{key: label(text) for key, text in EXTRA_LABELS.items()}, **labels}
    rows = []
    for key in order:
        if key in HIDDEN or key.endswith("_result") or data.get(key) in (None, ""):
            continue
        value = data[key]
        rows.append((labels[key], _readable(values.get(key, {}), value, value)))
    return rows


def decision_of(definition_forms: dict, event) -> str | None:
    """The chosen option of a completed task's form, in words (同意, 不通过 …)."""
    schema = definition_forms.get(event.element_id) or {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("x-widget") == "radio":
            chosen = _readable(_choices(prop), (event.data or {}).get(name))
            if chosen is not None:
                return chosen
    return None


def holder(task, names: dict) -> str:
    """Who holds an open task: the person who claimed it, or whom it is offered to."""
    if task.assignee:
        return _("%(name)s（已签收）", name=names["users"].get(task.assignee, task.assignee))
    if task.candidate_user:
        return names["users"].get(task.candidate_user, task.candidate_user)
    parts = [names["units"].get(task.candidate_unit), names["groups"].get(task.candidate_group),
             label(ROLE_LABELS.get(task.candidate_role, task.candidate_role))]
    return " · ".join(p for p in parts if p) or label(LANE_LABELS.get(task.lane, ""))


def case_file(session, instance, username: str) -> dict:
    """Everything shown about an instance: data, open steps, history, files, ledger row, diagram marks."""
    actor = actor_for(session, require_user(session, username))
    definition = session.get(ProcessDefinition, instance.definition_id)
    names = {"users": user_names(session), "units": unit_names(session), "groups": group_names(session)}
    steps = element_names(definition.bpmn_xml)
    events = queries.instance_events(session, instance.id)
    open_tasks = queries.instance_tasks(session, instance.id)
    history = [{
        "event": e, "label": event_label(e.kind),
        "who": names["users"].get(e.actor, _("系统") if e.actor in (None, "system") else e.actor),
        "step": step_name(steps.get(e.element_id, e.element_id or ""), instance.process_key),
        "decision": decision_of(definition.forms or {}, e),
    } for e in events if e.kind not in QUIET_EVENTS]
    done = {e.element_id for e in events if e.kind in ("task_completed", "timer_fired") and e.element_id}
    if instance.end_event:
        done.add(instance.end_event)
    case = session.scalars(select(RectificationCase).where(RectificationCase.instance_id == instance.id)).first()
    return {
        "instance": instance,
        "definition": definition,
        "process_label": PROCESS_LABELS.get(instance.process_key, definition.name),
        "starter": names["users"].get(instance.started_by, instance.started_by),
        "data_rows": describe_data(session, definition, instance.data or {}, names),
        "history": history,
        "open_tasks": [(t, holder(t, names), may_act(t, actor)) for t in open_tasks],
        "files": attachments.for_instance(session, instance.id),
        "case": case,
        "case_status": STATUS_LABELS.get(case.status) if case else None,
        "done_ids": sorted(done),
        "current_ids": sorted({t.element_id for t in open_tasks}),
    }


@bp.route("/<int:instance_id>")
@login_required
def show(instance_id: int):
    """One instance: its data, where it stands, its history and its diagram."""
    with get_platform().db.reading() as session:
        instance = instance_for(session, current_user.username, instance_id)
        context = case_file(session, instance, current_user.username)
    return render_template("instances/show.html", **context)


@bp.route("/<int:instance_id>/diagram.xml")
@login_required
def diagram(instance_id: int):
    """The BPMN of the definition version the instance runs on, for the diagram viewer."""
    with get_platform().db.reading() as session:
        instance = instance_for(session, current_user.username, instance_id)
        xml = session.get(ProcessDefinition, instance.definition_id).bpmn_xml
    response = Response(translate_diagram(xml, instance.process_key), mimetype="application/xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"  # data, never a page
    return response
