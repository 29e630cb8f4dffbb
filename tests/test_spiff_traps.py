"""SpiffWorkflow 3.2's known traps, each designed around and pinned here."""

import pytest

from engine import InvalidDefinition
from engine.compaction import MAX_DEPTH
from engine.script_engine import SandboxScriptEngine
from engine.state import CODEC, dump_state, load_state, new_workflow

from .engine_support import BPMN, deploy, scripted_xml, spec_of
from .helpers import CASE, RECTIFIED, complete, start, task_of

SIGN_FORMS = {
    "prepare": {"type": "object", "properties": {"signers": {"type": "array", "items": {"type": "string"}}}},
    "sign": {"type": "object", "properties": {"vote": {"type": "string", "enum": ["agree", "disagree"]}}},
}


def test_countersign_can_be_entered_again_after_a_loop_back(platform):
    """会签's output collection is emptied before each round, or round two would refuse to start."""
    deploy(platform, (BPMN / "countersign.bpmn").read_text("utf-8"), forms=SIGN_FORMS)
    out = start(platform, "office", "countersign", {})
    for round_no, votes in enumerate([["agree", "disagree"], ["agree", "agree"]]):
        out = complete(platform, "office", task_of(out, "prepare"), {"signers": ["甲", "乙"]})
        signs = [t.id for t in out.new_tasks if t.element_id == "sign"]
        assert len(signs) == 2, round_no
        for task_id, vote in zip(signs, votes, strict=True):
            out = complete(platform, "office", task_id, {"vote": vote})
    assert (out.status, out.data["votes"]) == ("completed", ["agree", "agree"])


@pytest.mark.parametrize("timer, ok", [("P5D", False), ('"P5D"', True), ('"P5X"', False), ("due_at", True)])
def test_timer_durations_must_be_quoted_python_strings(platform, timer, ok):
    xml = scripted_xml(TIMER=timer)
    if ok:
        deploy(platform, xml)
        return
    with pytest.raises(InvalidDefinition) as err:
        deploy(platform, xml)
    assert [p.element_id for p in err.value.problems] == ["wait"]


def test_loading_never_mutates_what_it_was_given():
    """from_dict pops keys from its argument; every load decodes fresh bytes, so loads repeat."""
    spec, subs = spec_of(scripted_xml())
    engine = SandboxScriptEngine()
    workflow = new_workflow(spec, subs, engine)
    workflow.task_tree.data.update({"note": "第一轮"})
    workflow.do_engine_steps()
    state = dump_state(workflow)
    first, second = load_state(state, spec, subs, engine), load_state(state, spec, subs, engine)
    assert dump_state(first) == dump_state(second) == state
    assert "spec" not in CODEC.decode_dict(state)  # the spec is stored once per version


def test_loop_backs_keep_the_saved_state_small(platform):
    """Compaction keeps the task tree (and the saved state) bounded however many rounds run.

    The tree grows with each round until compaction cuts it back, so its size goes up and down;
    over the last MAX_DEPTH rounds it reaches no more than over the MAX_DEPTH rounds before.
    """
    from engine.models import ProcessInstance

    out = start(platform, "inspector", "rectification", CASE)
    tasks, stored = [], []
    for _ in range(3 * MAX_DEPTH):
        out = complete(platform, "unit", task_of(out, "rectify"), RECTIFIED)
        out = complete(platform, "inspector", task_of(out, "verify"),
                       {"decision": "fail", "opinion": "再改", "deadline_days": 2})
        with platform.db.reading() as session:
            state = session.get(ProcessInstance, out.instance_id).state
        tasks.append(len(CODEC.decode_dict(state)["tasks"]))
        stored.append(len(state))
    assert max(tasks[2 * MAX_DEPTH:]) <= max(tasks[MAX_DEPTH:2 * MAX_DEPTH])
    assert max(stored[2 * MAX_DEPTH:]) <= 1.2 * max(stored[MAX_DEPTH:2 * MAX_DEPTH])


def test_a_parallel_join_reentered_by_a_loop_counts_only_its_own_round():
    """SpiffWorkflow's join counts arrivals of earlier rounds; the engine's (engine.gateways) do not.

    Round one: review a passes, then b fails, back to the draft. Round two: a fails, then b passes,
    and SpiffWorkflow's join takes round one's pass of a: the process ends instead of going back.
    tests/test_parallel_loops.py drives every ordering over three rounds through the product.
    """
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.util.task import TaskState

    from .test_parallel_loops import review_loop_xml

    def after_round_two(spec, subs) -> list[str]:
        workflow = new_workflow(spec, subs, SandboxScriptEngine())

        def act(element, **data):
            workflow.do_engine_steps()
            [task] = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == element]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            return sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY))

        act("draft", needs_a=True, needs_b=True)
        act("review_a", a_result="pass")
        assert act("review_b", b_result="fail") == ["draft"]
        act("draft", needs_a=True, needs_b=True)
        act("review_a", a_result="fail")
        return act("review_b", b_result="pass")

    xml = review_loop_xml("parallelGateway")
    stock = BpmnParser()
    stock.add_bpmn_str(xml.encode("utf-8"))
    assert after_round_two(stock.get_spec("review_loop"), {}) == []
    assert after_round_two(*spec_of(xml)) == ["draft"]
