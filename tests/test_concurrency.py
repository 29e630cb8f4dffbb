"""Two people acting at once, on PostgreSQL with real concurrent connections: exactly one wins.

Both threads read the instance before either writes: the clock each completion asks for, right
after loading and before writing, waits at a barrier until the other has loaded too.
"""

import threading

import pytest
from sqlalchemy import func, select

from engine import StaleVersion, TaskAlreadyDone
from engine.clock import utcnow
from engine.models import Event, HumanTask

from .helpers import MEASURE, complete, start, task_of


class MeetingClock:
    """A clock whose first call in each of `parties` threads waits until all have called it."""

    def __init__(self, parties: int):
        self.barrier = threading.Barrier(parties, timeout=20)
        self.armed = False
        self.seen = threading.local()

    def __call__(self):
        if self.armed and not getattr(self.seen, "met", False):
            self.seen.met = True
            self.barrier.wait()
        return utcnow()


def run_together(actions):
    results = [None] * len(actions)

    def run(i, action):
        try:
            results[i] = ("ok", action())
        except Exception as err:  # noqa: BLE001 - the test inspects whatever each thread raised
            results[i] = ("error", err)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_people_press_approve_at_once_exactly_one_wins(pg_platform):
    clock = MeetingClock(2)
    platform = pg_platform.at(clock)
    out = start(platform, "drafter", "policy_measure", MEASURE)
    task = task_of(out, "leader_approve")
    clock.armed = True
    results = run_together([
        lambda: complete(platform, "leader", task, {"decision": "approve"}),
        lambda: complete(platform, "leader", task, {"decision": "reject", "opinion": "不同意"}),
    ])
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, TaskAlreadyDone | StaleVersion)
    with platform.db.reading() as session:
        completions = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_completed"))
        approvals = session.scalars(select(HumanTask).where(HumanTask.element_id == "leader_approve")).all()
    assert completions == 1 and len(approvals) == 1 and approvals[0].status == "completed"


def test_two_reviews_of_one_instance_at_once_never_lose_an_update(pg_platform):
    clock = MeetingClock(2)
    platform = pg_platform.at(clock)
    out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    reviews = {t.element_id: t.id for t in out.new_tasks}
    clock.armed = True
    results = run_together([
        lambda: complete(platform, "justice", reviews["legality_review"], {"legality_result": "pass"}),
        lambda: complete(platform, "amr_reviewer", reviews["competition_review"], {"competition_result": "pass"}),
    ])
    errors = [value for kind, value in results if kind == "error"]
    assert len(errors) == 1 and isinstance(errors[0], StaleVersion), results
    clock.armed = False
    # The refused one changed nothing; done again on the new version, both reviews count.
    loser = "legality_review" if results[0][0] == "error" else "competition_review"
    who, field = {"legality_review": ("justice", "legality_result"),
                  "competition_review": ("amr_reviewer", "competition_result")}[loser]
    out = complete(platform, who, reviews[loser], {field: "pass"})
    assert [t.element_id for t in out.new_tasks] == ["office_file"]


@pytest.mark.parametrize("rounds", [20])
def test_many_concurrent_claims_give_one_assignee(pg_platform, rounds):
    from workflows.services import claim_task

    platform = pg_platform
    out = start(platform, "inspector", "rectification", {
        "source": "hotline", "description": "企业反映办事难", "responsible_unit": "gov_data", "deadline_days": 5})
    task = task_of(out, "rectify")

    def claim(user):
        with platform.db.transaction() as session:
            return claim_task(platform, session, user, task).assignee

    results = run_together([lambda u=u: claim(u) for u in ["unit", "unit_head"] * (rounds // 2)])
    winners = {value for kind, value in results if kind == "ok"}
    assert len(winners) == 1
