"""The small test diagrams in tests/bpmn: deployed with forms for their user tasks, or as specs."""

from pathlib import Path

from engine.parsing import parse_definition
from engine.script_engine import SandboxScriptEngine
from engine.state import CODEC, dump_spec, load_spec

BPMN = Path(__file__).resolve().parent / "bpmn"
OPEN_FORM = {"type": "object", "properties": {"note": {"type": "string", "title": "备注"}}}
SCRIPTED_DEFAULTS = {"SCRIPT": "total = 1 + 1", "CONDITION": "total == 2", "TIMER": '"P5D"'}


def scripted_xml(**parts) -> str:
    xml = (BPMN / "scripted.bpmn").read_text("utf-8")
    for key, value in {**SCRIPTED_DEFAULTS, **parts}.items():
        xml = xml.replace(key, value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return xml


def deploy(platform, xml, forms=None, key_forms=("prepare", "review")):
    forms = forms if forms is not None else {name: OPEN_FORM for name in key_forms}
    with platform.db.transaction() as session:
        return platform.engine.deploy(session, xml, forms=forms, deployed_by="admin")


SHIPPED = Path(__file__).resolve().parent.parent / "bpmn"
DIAGRAMS = {
    "policy_measure": (SHIPPED / "policy_measure.bpmn").read_text("utf-8"),
    "rectification": (SHIPPED / "rectification.bpmn").read_text("utf-8"),
    "countersign": (BPMN / "countersign.bpmn").read_text("utf-8"),
    "parallel_timer": (BPMN / "parallel_timer.bpmn").read_text("utf-8"),
    "nested": (BPMN / "nested.bpmn").read_text("utf-8"),
    "scripted": scripted_xml(),
    "fan_out": (BPMN / "fan_out.bpmn").read_text("utf-8"),
}
ENGINE = SandboxScriptEngine()


def spec_of(xml: str):
    """A spec as the engine holds it: parsed, saved and loaded again."""
    parsed = parse_definition(xml)
    return load_spec(dump_spec(parsed.spec, parsed.subprocess_specs))


def shape(workflow) -> dict:
    """The saved dictionary of a workflow with task ids replaced by their order and times left out."""
    dct = CODEC.to_dict(workflow)
    order = {task_id: i for i, task_id in enumerate(workflow.tasks)}
    subs = {order[k]: {"data": sub.data, "tasks": _tasks(sub)} for k, sub in workflow.subprocesses.items()}
    return {**dct, "tasks": _tasks(workflow), "root": order[dct["root"]], "subprocesses": subs,
            "last_task": order.get(dct["last_task"])}


def _tasks(workflow) -> list[dict]:
    order = {task_id: i for i, task_id in enumerate(workflow.tasks)}
    named = {str(task_id): f"#{i}" for task_id, i in order.items()}  # ids inside internal data
    saved = [CODEC.registry.quick_tasks.to_dict(task) for task in workflow.tasks.values()]
    return [{**t, "id": order[t["id"]], "parent": order.get(t["parent"]), "last_state_change": None,
             "children": [order[c] for c in t["children"]], "internal_data": _named(t["internal_data"], named)}
            for t in saved]


def _named(value, named: dict):
    if isinstance(value, str):
        return named.get(value, value)
    if isinstance(value, list):
        return [_named(v, named) for v in value]
    if isinstance(value, dict):
        return {k: _named(v, named) for k, v in value.items()}
    return value
