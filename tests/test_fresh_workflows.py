"""New workflows are copied from one built once per spec; a copy is the workflow SpiffWorkflow builds."""

from datetime import date

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.fresh import FreshWorkflows, template_of

from .engine_support import DIAGRAMS, ENGINE, shape, spec_of
from .helpers import CASE, MEASURE, start


def run_through(workflow, data: dict) -> list[str]:
    """Step a workflow to its end, completing each user task as it comes; the elements, in order."""
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    done = []
    for _ in range(20):
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
        if not ready:
            break
        ready[0].run()
        done.append(ready[0].task_spec.name)
        workflow.do_engine_steps()
    return done


@pytest.mark.parametrize("name", DIAGRAMS)
def test_a_copy_is_the_workflow_spiffworkflow_builds(name):
    spec, subs = spec_of(DIAGRAMS[name])
    fresh = FreshWorkflows()
    first = fresh.new(spec, subs, ENGINE)  # built, and the template taken from it
    copy = fresh.new(spec, subs, ENGINE)
    built = BpmnWorkflow(spec, subs, script_engine=ENGINE)
    assert shape(copy) == shape(built) == shape(first)
    assert copy.script_engine is ENGINE
    assert all(task_id.version == 4 for task_id in copy.tasks)
    assert not set(copy.tasks) & set(first.tasks)


def test_copies_share_nothing_with_each_other_or_the_template():
    spec, subs = spec_of(DIAGRAMS["nested"])
    fresh = FreshWorkflows()
    fresh.new(spec, subs, ENGINE)
    one, two = fresh.new(spec, subs, ENGINE), fresh.new(spec, subs, ENGINE)
    one.data["data_objects"]["dossier"] = "卷宗"
    one.task_tree.data["note"] = "改过"
    assert run_through(one, {}) == ["prepare", "review_done"] and one.is_completed()
    assert two.data == {"data_objects": {"dossier": None}} and two.task_tree.data == {}
    assert shape(fresh.new(spec, subs, ENGINE)) == shape(BpmnWorkflow(spec, subs, script_engine=ENGINE))


DUE = {"remind_at": "2026-11-27T09:00:00+08:00", "due_at": "2026-12-02T23:59:59+08:00",
       "handover_at": "2026-12-09T23:59:59+08:00"}


@pytest.mark.parametrize("name, data", [("rectification", {**CASE, **DUE, "decision": "pass"}),
                                        ("nested", {}), ("policy_measure", {**MEASURE, "decision": "approve"})])
def test_a_copy_runs_as_a_built_workflow_does(name, data):
    spec, subs = spec_of(DIAGRAMS[name])
    fresh = FreshWorkflows()
    fresh.new(spec, subs, ENGINE)
    copy, built = fresh.new(spec, subs, ENGINE), BpmnWorkflow(spec, subs, script_engine=ENGINE)
    assert run_through(copy, data) == run_through(built, data)
    assert shape(copy) == shape(built)


@pytest.mark.parametrize("change", ["task data", "internal data", "workflow data", "unsavable data"])
def test_a_new_workflow_that_is_not_plain_is_built_every_time(change):
    spec, subs = spec_of(DIAGRAMS["rectification"])
    workflow = BpmnWorkflow(spec, subs, script_engine=ENGINE)
    assert template_of(workflow) is not None
    if change == "task data":
        workflow.task_tree.data["x"] = 1
    elif change == "internal data":
        workflow.task_tree.internal_data["x"] = 1
    elif change == "workflow data":
        workflow.data["due"] = date(2026, 12, 1)  # JSON would give it back as a string
    else:
        workflow.data["unsavable"] = {1, 2}
    assert template_of(workflow) is None


def test_the_engine_starts_instances_from_copies(platform):
    first = start(platform, "inspector", "rectification", CASE)
    second = start(platform, "inspector", "rectification", CASE)
    assert [t.element_id for t in first.new_tasks] == [t.element_id for t in second.new_tasks] == ["rectify"]
    assert first.new_tasks[0].task_guid != second.new_tasks[0].task_guid
    kept = list(platform.engine.fresh._templates.values())
    assert [template is not None for _spec, _subs, template in kept] == [True]
