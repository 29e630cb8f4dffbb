"""The engine runs automatic tasks as SpiffWorkflow's do_engine_steps does: the same tasks, in the same order."""

from datetime import UTC, datetime

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import stepping
from engine.multi_instance import reset_multi_instance_outputs
from engine.script_engine import SandboxScriptEngine
from engine.stepping import automatic_ready, do_engine_steps

from .engine_support import DIAGRAMS, ENGINE, shape, spec_of
from .helpers import CASE, MEASURE, RECTIFIED

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATE = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)  # past every deadline of the case: its timers fire
DUE = {"remind_at": "2026-11-27T09:00:00+08:00", "due_at": "2026-12-02T23:59:59+08:00",
       "handover_at": "2026-12-09T23:59:59+08:00"}

# run: (diagram, start data, the answers of its user tasks by element, taken in turn)
RUNS = {
    "rectification": ("rectification", {**CASE, **DUE}, {
        "rectify": [RECTIFIED] * 3, "verify": [{"decision": "fail"}] * 2 + [{"decision": "pass"}]}),
    "policy_measure": ("policy_measure", {**MEASURE, "kind": "normative"}, {
        "leader_approve": [{"decision": "return"}, {"decision": "approve"}], "revise": [{}],
        "legality_review": [{"legality_result": "pass"}], "competition_review": [{"competition_result": "pass"}],
        "office_file": [{"doc_no": "龙营商〔2026〕1号"}]}),
    "countersign": ("countersign", {}, {"prepare": [{"signers": ["甲", "乙"]}] * 2,
                         "sign": [{"vote": "agree"}, {"vote": "disagree"}, {"vote": "agree"}, {"vote": "agree"}]}),
    "parallel_timer": ("parallel_timer", {}, {}),
    "nested": ("nested", {}, {}),
    "scripted": ("scripted", {}, {}),
    "fan_out": ("fan_out", {}, {}),
    "rectification overdue": ("rectification", {**CASE, **DUE}, {
        "handover_review": [{}], "rectify": [RECTIFIED], "verify": [{"decision": "pass"}]}),
}


class Stepper:
    """Steps a workflow with one of the two loops and records every automatic task it runs."""

    def __init__(self, workflow, ours: bool):
        self.workflow, self.ours, self.ran = workflow, ours, []

    def steps(self):
        # As the engine does: again while refreshing timers left an automatic task ready.
        for _ in range(5):
            if self.ours:
                do_engine_steps(self.workflow, self._record)
            else:
                self.workflow.do_engine_steps(will_complete_task=self._record)
            if not automatic_ready(self.workflow):
                return

    def _record(self, task):
        reset_multi_instance_outputs(task)  # as the engine does before every task it runs
        self.ran.append(task.task_spec.name)


def lockstep(name: str) -> list[str]:
    """Run a diagram to its end with both loops, side by side; each user task's element, in turn."""
    diagram, data, answers = RUNS[name]
    spec, subs = spec_of(DIAGRAMS[diagram])
    answers = {element: list(given) for element, given in answers.items()}
    now = LATE if name.endswith("overdue") else NOW
    engine = SandboxScriptEngine(clock=lambda: now)  # both sides compute the same timer due dates
    theirs = Stepper(BpmnWorkflow(spec, subs, script_engine=engine), ours=False)
    ours = Stepper(BpmnWorkflow(spec, subs, script_engine=engine), ours=True)
    done = []
    for stepper in (theirs, ours):
        stepper.workflow.task_tree.data.update(data)
        stepper.steps()
    for _ in range(40):
        assert shape(ours.workflow) == shape(theirs.workflow) and ours.ran == theirs.ran
        users = [[t for t in s.workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual] for s in (theirs, ours)]
        if not users[0]:
            break
        element = users[0][0].task_spec.bpmn_id
        answer = answers[element].pop(0) if answers.get(element) else {}
        for stepper, ready in zip((theirs, ours), users, strict=True):
            ready[0].data.update(answer)
            reset_multi_instance_outputs(ready[0])
            ready[0].run()
            stepper.steps()
        done.append(element)
    assert theirs.workflow.is_completed() == ours.workflow.is_completed()
    return done


@pytest.mark.parametrize("name", RUNS)
def test_both_loops_run_the_same_tasks_in_the_same_order(name):
    done = lockstep(name)
    assert done, "the diagram ran without a user task"


def test_the_runs_cover_loop_backs_parallel_branches_and_subprocesses():
    assert lockstep("rectification").count("verify") == 3
    assert lockstep("policy_measure").count("leader_approve") == 2
    assert lockstep("countersign").count("sign") == 4
    assert lockstep("nested") == ["prepare", "review_done"]
    assert "handover_review" in lockstep("rectification overdue")  # its deadlines fired


def _fresh(name):
    spec, subs = spec_of(DIAGRAMS[name])
    return BpmnWorkflow(spec, subs, script_engine=ENGINE)


def _spiffs_list(workflow):
    return [t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual]


class WalkCounter:
    def __init__(self, workflow):
        self.walks, self._get_tasks = 0, workflow.get_tasks
        workflow.get_tasks = self

    def __call__(self, *args, **kwargs):
        self.walks += 1
        return self._get_tasks(*args, **kwargs)


def test_one_ready_task_is_found_without_walking_the_tree():
    workflow = _fresh("rectification")
    walks = WalkCounter(workflow)
    ready = automatic_ready(workflow)
    assert [t.task_spec.name for t in ready] == ["Start"] and walks.walks == 0
    assert ready == _spiffs_list(workflow)


def _advance(workflow, names: list[str]):
    """Run automatic tasks one at a time until exactly `names` are ready."""
    for _ in range(10):
        ready = automatic_ready(workflow)
        if [t.task_spec.name for t in ready] == names:
            return ready
        ready[0].run()
    raise AssertionError(names)


def test_several_ready_tasks_come_in_the_walks_order():
    workflow = _fresh("fan_out")
    _advance(workflow, ["tally_a", "tally_b", "tally_c"])
    walks = WalkCounter(workflow)
    assert automatic_ready(workflow) == _spiffs_list(workflow) and walks.walks == 2


@pytest.mark.parametrize("why", ["predicted parent", "not in the tree", "not among its parent's children"])
def test_a_task_the_walk_would_not_reach_is_left_to_the_walk(why):
    workflow = _fresh("rectification")
    start = _advance(workflow, ["start"])[0]
    if why == "predicted parent":
        start.parent._state = TaskState.LIKELY  # the walk does not descend into predicted tasks
    else:
        start.parent._children.remove(start.id)
        if why == "not in the tree":
            start._parent = None
    assert automatic_ready(workflow) == _spiffs_list(workflow) == []


def test_a_task_deeper_than_the_walk_goes_is_left_to_the_walk(monkeypatch):
    workflow = _fresh("rectification")
    _advance(workflow, ["start"])
    monkeypatch.setattr(stepping, "WALK_DEPTH", 1)
    walks = WalkCounter(workflow)
    assert automatic_ready(workflow) == _spiffs_list(workflow) and walks.walks == 2


def test_a_workflow_with_subprocesses_is_stepped_by_spiffworkflow(monkeypatch):
    workflow = _fresh("nested")
    stepped = []
    original = workflow.do_engine_steps
    monkeypatch.setattr(workflow, "do_engine_steps", lambda **kw: (stepped.append(kw), original(**kw)))
    do_engine_steps(workflow, lambda task: None)
    assert len(stepped) == 1 and workflow.subprocesses
    assert [t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY)] == ["prepare"]
