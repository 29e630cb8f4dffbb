"""People acting at once on one instance, on PostgreSQL with real concurrent connections.

An action that writes an instance locks its row first, so actions on one instance take turns:
the first holds its lock until it commits, the second waits and then loads what the first saved.
Two people pressing 同意 on one task: exactly one wins. Two parallel reviews at once: both apply.
The clock each completion asks for, right after loading, makes the first action wait until the
other is waiting on its lock, so the two truly overlap.
"""

import threading
import time

import pytest
from sqlalchemy import func, select, text

from engine import TaskAlreadyDone
from engine.clock import utcnow
from engine.models import Event, HumanTask

from .conftest import PG_SCHEMA
from .helpers import MEASURE, complete, start, task_of

# A backend that holds a row lock of this run's instance table while it waits for another transaction.
WAITING_ON_AN_INSTANCE = text(f"""
SELECT count(*) FROM pg_locks waiting JOIN pg_locks held ON held.pid = waiting.pid
WHERE NOT waiting.granted AND held.locktype = 'tuple'
  AND held.relation = to_regclass('{PG_SCHEMA}.process_instance')""")


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


class HoldingClock:
    """A clock whose first call, once armed, waits until another connection waits for an instance's lock."""

    def __init__(self, platform):
        self.platform = platform
        self.armed = False
        self.waited = None
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            first, self.armed = self.armed, False
        if first:
            self.waited = self._other_waits()
        return utcnow()

    def _other_waits(self) -> bool:
        deadline = time.monotonic() + 20
        with self.platform.db.sa_engine.connect() as conn:
            while time.monotonic() < deadline:
                if conn.execute(WAITING_ON_AN_INSTANCE).scalar():
                    return True
                time.sleep(0.01)
        return False


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


def at_once(pg_platform, prepare, actions):
    """Prepare on the platform, then run the actions together, the first to load holding its lock."""
    clock = HoldingClock(pg_platform)
    platform = pg_platform.at(clock)
    made = prepare(platform)
    clock.armed = True
    results = run_together([lambda a=a: a(platform, made) for a in actions])
    assert clock.waited, "the second action did not wait for the first one's lock"
    return platform, made, results


def test_two_people_press_approve_at_once_exactly_one_wins(pg_platform):
    def prepare(platform):
        return task_of(start(platform, "drafter", "policy_measure", MEASURE), "leader_approve")

    platform, task, results = at_once(pg_platform, prepare, [
        lambda platform, task: complete(platform, "leader", task, {"decision": "approve"}),
        lambda platform, task: complete(platform, "leader", task, {"decision": "reject", "opinion": "不同意"}),
    ])
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, TaskAlreadyDone)
    with platform.db.reading() as session:
        completions = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_completed"))
        approvals = session.scalars(select(HumanTask).where(HumanTask.element_id == "leader_approve")).all()
    assert completions == 1 and len(approvals) == 1 and approvals[0].status == "completed"


def test_two_reviews_of_one_instance_at_once_both_apply(pg_platform):
    def prepare(platform):
        out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
        out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
        return {t.element_id: t.id for t in out.new_tasks}, out.version

    platform, (reviews, seen), results = at_once(pg_platform, prepare, [
        lambda platform, made: complete(platform, "justice", made[0]["legality_review"], {"legality_result": "pass"},
                                        expected_version=made[1]),
        lambda platform, made: complete(platform, "amr_reviewer", made[0]["competition_review"],
                                        {"competition_result": "pass"}, expected_version=made[1]),
    ])
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    # The one that waited loaded the other's save: it joined both reviews and opened 备案登记, once.
    versions = sorted(out.version for _, out in results)
    assert versions == [seen + 1, seen + 2]
    last = max((out for _, out in results), key=lambda out: out.version)
    assert [t.element_id for t in last.new_tasks] == ["office_file"]
    assert (last.data["legality_result"], last.data["competition_result"]) == ("pass", "pass")
    with platform.db.reading() as session:
        filing = session.scalars(select(HumanTask).where(HumanTask.element_id == "office_file")).all()
    assert len(filing) == 1


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
