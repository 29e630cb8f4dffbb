"""Scripts in BPMN never reach the operating system: refused at deploy, at run time and after a reload."""

import pytest
from sqlalchemy import update

from engine import InvalidDefinition, ScriptRefused
from engine.models import ProcessDefinition
from engine.script_engine import check_source
from engine.state import dump_spec

from .engine_support import deploy, scripted_xml
from .helpers import complete, snapshot, start, task_of

ESCAPES = [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "open('/etc/passwd').read()",
    "'{0.__class__}'.format(total)",
    "eval('1')",
    "getattr(total, '__class__')",
    "[c for c in ().__class__.__mro__]",
    "(lambda: 1).__globals__",
    "9 ** 9 ** 9",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_the_checker_refuses_each_escape(source):
    with pytest.raises(ScriptRefused):
        check_source(source, "eval")


@pytest.mark.parametrize("where", ["CONDITION", "SCRIPT"])
@pytest.mark.parametrize("source", ESCAPES[:3])
def test_deploy_refuses_escapes_naming_the_element(platform, where, source):
    with pytest.raises(InvalidDefinition) as err:
        deploy(platform, scripted_xml(**{where: source}))
    element = {"CONDITION": "route", "SCRIPT": "compute"}[where]
    assert element in {p.element_id for p in err.value.problems}


def test_plain_python_in_scripts_still_works(platform):
    deploy(platform, scripted_xml(SCRIPT="total = sum([1, 1])\nlabel = str(total) + '项'", CONDITION="total == 2"))
    out = start(platform, "office", "scripted", {})
    out = complete(platform, "office", task_of(out, "prepare"), {})
    assert (out.status, out.data["label"]) == ("completed", "2项")


@pytest.mark.parametrize("source", ESCAPES[:3])
def test_a_tampered_stored_spec_is_still_refused_at_run_time_after_reload(platform, source):
    """Even a spec that skipped the deploy check runs in the sandbox, on every load."""
    deployed = deploy(platform, scripted_xml())
    out = start(platform, "office", "scripted", {})
    from engine.parsing import parse_definition

    evil = parse_definition(scripted_xml().replace("total == 2", "total == 3"))
    evil.spec.task_specs["compute"].script = f"total = {source}"
    with platform.db.transaction() as session:
        session.execute(update(ProcessDefinition).where(ProcessDefinition.id == deployed.id)
                        .values(spec_json=dump_spec(evil.spec, evil.subprocess_specs)))
    platform.engine.specs._specs.clear()
    before = snapshot(platform)
    with pytest.raises(ScriptRefused):
        complete(platform, "office", task_of(out, "prepare"), {})
    assert snapshot(platform) == before


def test_a_reloaded_workflow_evaluates_in_the_sandbox(platform):
    deploy(platform, scripted_xml())
    out = start(platform, "office", "scripted", {})
    with platform.db.reading() as session:
        workflow = platform.engine.load_workflow(session, out.instance_id)
    task = workflow.get_tasks()[0]
    for source in ESCAPES[:3]:
        with pytest.raises(ScriptRefused):
            workflow.script_engine.evaluate(task, source)
    with pytest.raises(ScriptRefused):
        workflow.script_engine.execute(task, "import os")
