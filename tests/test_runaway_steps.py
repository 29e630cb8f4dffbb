"""What a diagram makes the engine do at run time is bounded and, when it fails, said in Chinese.

Each script and condition has its own budget (tests/test_sandbox_limits.py). Beyond them: a loop
of automatic tasks with no wait state, a multi-instance task asked for a billion instances, a
timer whose expression gives something that is not a time, and SpiffWorkflow's own run-time
errors. Each is a 422 naming the element, and nothing is written.
"""

import pytest

from engine import ExecutionFailed

from .engine_support import BPMN, deploy, scripted_xml
from .helpers import complete, snapshot, start, task_of

SIGN_FORMS = {
    "prepare": {"type": "object", "properties": {"signers": {"type": "array", "items": {"type": "string"}}}},
    "sign": {"type": "object", "properties": {"vote": {"type": "string"}}},
}


def refused(platform, action) -> ExecutionFailed:
    before = snapshot(platform)
    with pytest.raises(ExecutionFailed) as err:
        action()
    assert snapshot(platform) == before
    return err.value


def test_a_loop_of_automatic_tasks_is_stopped_naming_where(platform):
    """compute → route → compute … with no user task between: it never waits, so it is stopped."""
    xml = scripted_xml(SCRIPT="rounds = rounds + 1", CONDITION="False")
    xml = xml.replace('<bpmn:sequenceFlow id="f_review" sourceRef="route" targetRef="review" />',
                      '<bpmn:sequenceFlow id="f_review" sourceRef="route" targetRef="compute" />')
    xml = xml.replace("<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>",
                      "<bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f_review</bpmn:incoming>"
                      "<bpmn:outgoing>f3</bpmn:outgoing>")
    deploy(platform, xml, forms={"prepare": {"type": "object", "properties": {"rounds": {"type": "integer"}}},
                                 "review": {"type": "object"}})
    platform.engine.step_limits = (500, 5.0)
    out = start(platform, "office", "scripted", {})
    error = refused(platform, lambda: complete(platform, "office", task_of(out, "prepare"), {"rounds": 0}))
    assert error.status == 422 and error.element_id in ("compute", "route")
    assert "自动环节循环没有结束" in error.message and "500" in error.message


def test_the_cpu_budget_of_one_call_stops_a_slow_automatic_loop(platform):
    xml = scripted_xml(SCRIPT="rounds = rounds + sum(range(20000))", CONDITION="False")
    xml = xml.replace('<bpmn:sequenceFlow id="f_review" sourceRef="route" targetRef="review" />',
                      '<bpmn:sequenceFlow id="f_review" sourceRef="route" targetRef="compute" />')
    xml = xml.replace("<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>",
                      "<bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f_review</bpmn:incoming>"
                      "<bpmn:outgoing>f3</bpmn:outgoing>")
    deploy(platform, xml, forms={"prepare": {"type": "object", "properties": {"rounds": {"type": "integer"}}},
                                 "review": {"type": "object"}})
    platform.engine.step_limits = (10**9, 0.2)
    out = start(platform, "office", "scripted", {})
    error = refused(platform, lambda: complete(platform, "office", task_of(out, "prepare"), {"rounds": 0}))
    assert "运行超过 0.2 秒" in error.message and error.element_id in ("compute", "route")


@pytest.mark.parametrize("signers", [1001, 5000])
def test_a_countersign_asked_for_too_many_signers_is_refused(platform, signers):
    deploy(platform, (BPMN / "countersign.bpmn").read_text("utf-8"), forms=SIGN_FORMS)
    out = start(platform, "office", "countersign", {})
    error = refused(platform, lambda: complete(platform, "office", task_of(out, "prepare"),
                                               {"signers": [f"人{i}" for i in range(signers)]}))
    assert error.element_id == "sign" and f"{signers}" in error.message and "1000" in error.message


def test_a_cardinality_of_a_billion_is_refused_before_any_task_is_built(platform):
    xml = (BPMN / "countersign.bpmn").read_text("utf-8")
    xml = xml.replace("<bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>",
                      "<bpmn:loopCardinality>how_many</bpmn:loopCardinality>")
    xml = xml.replace('<bpmn:inputDataItem id="signer" name="signer" />', "")
    deploy(platform, xml, forms={"prepare": {"type": "object", "properties": {"how_many": {"type": "integer"}}},
                                 "sign": SIGN_FORMS["sign"]})
    out = start(platform, "office", "countersign", {})
    error = refused(platform, lambda: complete(platform, "office", task_of(out, "prepare"), {"how_many": 10**9}))
    assert error.element_id == "sign" and "1000000000" in error.message


NOTE = {"type": "object", "properties": {"note": {"type": "string"}}}


@pytest.mark.parametrize("kind, value", [("timeDuration", "abc"), ("timeDuration", "2026-12-01"),
                                         ("timeDate", "P5D"), ("timeDate", "下周一"), ("timeCycle", "R/x")])
def test_a_timer_whose_expression_gives_no_time_is_refused_naming_it(platform, kind, value):
    xml = scripted_xml(TIMER="note", CONDITION="False")
    xml = xml.replace("timeDuration", kind)
    deploy(platform, xml, forms={"prepare": NOTE, "review": NOTE})
    out = start(platform, "office", "scripted", {})
    out = complete(platform, "office", task_of(out, "prepare"), {"note": value})
    error = refused(platform, lambda: complete(platform, "office", task_of(out, "review"), {"note": value}))
    assert error.element_id == "wait" and "定时表达式结果" in error.message and "等待" in error.message


def test_spiffworkflows_own_run_time_errors_are_said_in_chinese_naming_the_element(platform):
    """No flow out of the gateway matches and there is no default: SpiffWorkflow raises in English."""
    xml = scripted_xml(CONDITION="total == 4").replace(' default="f_review"', "")
    xml = xml.replace('<bpmn:sequenceFlow id="f_review" sourceRef="route" targetRef="review" />',
                      '<bpmn:sequenceFlow id="f_review" sourceRef="route" targetRef="review">'
                      '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">total == 3'
                      "</bpmn:conditionExpression></bpmn:sequenceFlow>")
    deploy(platform, xml)
    out = start(platform, "office", "scripted", {})
    error = refused(platform, lambda: complete(platform, "office", task_of(out, "prepare"), {}))
    assert error.element_id == "route" and "route" in error.message
    assert not any(word in error.message for word in ("No conditions", "satisfied", "Error", "<"))
