"""Loops that re-enter a parallel or inclusive split and join route every round on its own tokens.

SpiffWorkflow 3.2 counts a join's arrivals anywhere in the task tree, so in the second round a
review that arrived in the first counts again: the measure went back to 修改举措 after two passes,
or 备案登记 opened while a review was still open. Every ordering of pass and fail over three
rounds is driven here: the shipped 规范性文件 flow through the product on both databases, and a
generic diagram of the same shape with parallel and with inclusive gateways.
"""

import itertools

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.multi_instance import reset_multi_instance_outputs
from engine.state import dump_state, load_state, new_workflow
from engine.stepping import do_engine_steps

from .engine_support import BPMN, ENGINE, SHIPPED, deploy, spec_of
from .helpers import MEASURE, complete, start
from .test_api import Api

FIRST, SECOND = 0, 1
# A round that sends the measure back: who answers first, and each review's result.
FAILING = [(order, a, b) for order in (FIRST, SECOND) for a, b in (("pass", "fail"), ("fail", "pass"),
                                                                  ("fail", "fail"))]
PASSING = [(order, "pass", "pass") for order in (FIRST, SECOND)]
THREE_ROUNDS = list(itertools.product(FAILING, FAILING, PASSING))
# Through the product: each failing round in first and in second place, each passing order last.
COVERING = [(FAILING[i], FAILING[(i + 3) % 6], PASSING[i % 2]) for i in range(6)]
ROLES = {"leader_approve": "leader", "revise": "drafter", "office_file": "office",
         "legality_review": "justice", "competition_review": "amr_reviewer"}
FORMS = {"leader_approve": {"decision": "approve"}, "revise": {**MEASURE, "kind": "normative"},
         "office_file": {"doc_number": "营商办〔2026〕9号", "filed_on": "2026-11-30"}}


class InMemory:
    """The diagram stepped as the engine steps it, saved and loaded again after every step."""

    def __init__(self, xml, data=None):
        self.spec, self.subs = spec_of(xml)
        self.workflow = new_workflow(self.spec, self.subs, ENGINE)
        self.workflow.task_tree.data.update(data or {})
        self._steps()

    def _steps(self):
        do_engine_steps(self.workflow, reset_multi_instance_outputs)
        self.workflow = load_state(dump_state(self.workflow), self.spec, self.subs, ENGINE)

    def open(self) -> list[str]:
        if self.workflow.is_completed():
            return ["done"]
        return sorted(t.task_spec.bpmn_id for t in self.workflow.tasks.values()
                      if t.state == TaskState.READY and t.task_spec.manual)

    def act(self, element, data) -> list[str]:
        [task] = [t for t in self.workflow.tasks.values()
                  if t.state == TaskState.READY and t.task_spec.bpmn_id == element]
        task.data.update(data)
        reset_multi_instance_outputs(task)
        task.run()
        self._steps()
        return self.open()


def review_answers(order, legality, competition) -> list[tuple[str, dict]]:
    answers = [("legality_review", {"legality_result": legality, "opinion": "意见"}),
               ("competition_review", {"competition_result": competition, "opinion": "意见"})]
    return answers[::-1] if order == SECOND else answers


def drive_measure(act, rounds) -> None:
    """Every round: approve, both reviews in the round's order, then revise, until the last files."""
    for number, (order, legality, competition) in enumerate(rounds):
        assert act("leader_approve", FORMS["leader_approve"]) == ["competition_review", "legality_review"]
        first, second = review_answers(order, legality, competition)
        assert act(*first) == [second[0]], "the join waits for the other review"
        last = number == len(rounds) - 1
        assert act(*second) == (["office_file"] if last else ["revise"]), (number, rounds)
        if not last:
            assert act("revise", FORMS["revise"]) == ["leader_approve"]
    assert act("office_file", FORMS["office_file"]) == ["done"]


def label(rounds) -> str:
    return "-".join(f"{o}{a[0]}{b[0]}" for o, a, b in rounds)


@pytest.mark.parametrize("rounds", THREE_ROUNDS, ids=label)
def test_the_normative_flow_routes_every_ordering_of_three_rounds(rounds):
    runner = InMemory((SHIPPED / "policy_measure.bpmn").read_text("utf-8"), {**MEASURE, "kind": "normative"})
    drive_measure(runner.act, rounds)


@pytest.mark.parametrize("rounds", COVERING, ids=label)
def test_the_normative_flow_through_the_product(platform, rounds):
    out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
    tasks = {t.element_id: t.id for t in out.new_tasks}

    def act(element, data):
        out = complete(platform, ROLES[element], tasks.pop(element), data)
        tasks.update({t.element_id: t.id for t in out.new_tasks})
        return ["done"] if out.status == "completed" else sorted(tasks)

    drive_measure(act, rounds)


def test_the_reported_ordering_over_the_api(platform):
    """The issue's reproduction: fail then pass, revise, approve, pass and pass → 备案登记."""
    api = Api(platform)
    out = api.post("drafter", "/api/processes/policy_measure/instances", {**MEASURE, "kind": "normative"})
    tasks = {t["element_id"]: t["id"] for t in out.get_json()["tasks"]}

    def act(element, body):
        response = api.post(ROLES[element], f"/api/tasks/{tasks.pop(element)}/complete", body)
        assert response.status_code == 200, response.get_json()
        tasks.update({t["element_id"]: t["id"] for t in response.get_json()["tasks"]})
        return sorted(tasks)

    act("leader_approve", FORMS["leader_approve"])
    act("competition_review", {"competition_result": "fail", "opinion": "排除限制竞争"})
    act("legality_review", {"legality_result": "pass"})
    act("revise", FORMS["revise"])
    act("leader_approve", FORMS["leader_approve"])
    assert act("competition_review", {"competition_result": "pass"}) == ["legality_review"]
    assert act("legality_review", {"legality_result": "pass"}) == ["office_file"]


# -- the same shape, drawn generically ---------------------------------------------------------------

REVIEW = {"type": "object", "properties": {"note": {"type": "string"}}}
DRAFT = {"type": "object", "properties": {"needs_a": {"type": "boolean"}, "needs_b": {"type": "boolean"}}}
RESULTS = {name: {"type": "object", "properties": {f"{x}_result": {"type": "string", "enum": ["pass", "fail"]}}}
           for name, x in (("review_a", "a"), ("review_b", "b"))}
PASSED = '(not needs_a or a_result == "pass") and (not needs_b or b_result == "pass")'


def review_loop_xml(gateway: str) -> str:
    xml = (BPMN / "review_loop.bpmn").read_text("utf-8").replace("GATEWAY", gateway)
    xml = xml.replace('a_result != "fail" and b_result != "fail"', PASSED.replace('"', "&quot;"))
    if gateway == "inclusiveGateway":
        cond = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{}</bpmn:conditionExpression>'
        return xml.replace("CONDITION_A", cond.format("needs_a")).replace("CONDITION_B", cond.format("needs_b"))
    return xml.replace("CONDITION_A", "").replace("CONDITION_B", "")


def rounds_of(gateway: str):
    """Every round the diagram allows: which reviews are asked for, who answers first, each result."""
    asked = [("a", "b")] + ([("a",), ("b",)] if gateway == "inclusiveGateway" else [])
    for reviews in asked:
        orders = [reviews, reviews[::-1]] if len(reviews) == 2 else [reviews]
        for order in orders:
            for results in itertools.product(("pass", "fail"), repeat=len(reviews)):
                yield order, dict(zip(reviews, results, strict=True))


def expected_after(results: dict) -> list[str]:
    return ["done"] if all(r == "pass" for r in results.values()) else ["draft"]


def drive(runner, rounds) -> None:
    for order, results in rounds:
        asked = {"needs_a": "a" in results, "needs_b": "b" in results}
        assert runner.act("draft", asked) == sorted(f"review_{x}" for x in results)
        for i, who in enumerate(order):
            after = runner.act(f"review_{who}", {f"{who}_result": results[who]})
            if i < len(order) - 1:
                assert after == [f"review_{order[-1]}"], "the join waits for the other review"
        assert after == expected_after(results), (order, results)


@pytest.mark.parametrize("gateway", ["parallelGateway", "inclusiveGateway"])
def test_every_ordering_over_three_rounds_of_the_generic_diagram(gateway):
    kinds = list(rounds_of(gateway))
    failing = [r for r in kinds if expected_after(r[1]) == ["draft"]]
    passing = [r for r in kinds if expected_after(r[1]) == ["done"]]
    count = 0
    for rounds in itertools.product(failing, failing, passing):
        drive(InMemory(review_loop_xml(gateway)), rounds)
        count += 1
    assert count == len(failing) ** 2 * len(passing)


class Deployed:
    """The generic diagram deployed and driven through the product."""

    def __init__(self, platform, gateway):
        deploy(platform, review_loop_xml(gateway), forms={"draft": DRAFT, **RESULTS, "start": REVIEW})
        self.platform = platform
        out = start(platform, "office", "review_loop", {})
        self.tasks = {t.element_id: t.id for t in out.new_tasks}

    def act(self, element, data) -> list[str]:
        out = complete(self.platform, "office", self.tasks.pop(element), data)
        self.tasks.update({t.element_id: t.id for t in out.new_tasks})
        return ["done"] if out.status == "completed" else sorted(self.tasks)


@pytest.mark.parametrize("gateway", ["parallelGateway", "inclusiveGateway"])
def test_the_generic_diagram_through_the_product(platform, gateway):
    rounds = [(("b", "a"), {"a": "pass", "b": "fail"}), (("a", "b"), {"a": "fail", "b": "pass"}),
              (("b", "a"), {"a": "pass", "b": "pass"})]
    if gateway == "inclusiveGateway":
        rounds.insert(1, (("a",), {"a": "fail"}))
    drive(Deployed(platform, gateway), rounds)


def test_each_round_joins_the_data_its_branches_changed():
    """A branch carries last round's value of what the other branch sets; only its own changes count."""
    runner = InMemory(review_loop_xml("parallelGateway"))
    drive(runner, [(("a", "b"), {"a": "fail", "b": "pass"}), (("b", "a"), {"a": "pass", "b": "fail"})])
    last = runner.workflow.last_task
    assert (last.data["a_result"], last.data["b_result"]) == ("pass", "fail")


def test_a_join_fires_once_per_round_in_an_automatic_loop():
    """Scripts only, no user task between the rounds: the join fires once in each of three rounds."""
    runner = InMemory((BPMN / "auto_loop.bpmn").read_text("utf-8"))
    assert runner.open() == ["review"]
    data = runner.workflow.last_task.data
    assert (data["rounds"], data["fired"], data["a"], data["b"]) == (3, 3, 2, 2)
