"""Timer workers on PostgreSQL: four worker processes, 10 000 due jobs, one of them killed mid-run.

At least 450 jobs are the ladder timers of 150 real rectification cases; the rest are cheap
`reminder` jobs. Every job must fire exactly once (one history event each), and the jobs the
killed worker held come back to the others when its lease runs out. Then: parallel workers fire a
case's three ladder timers in every order, and each case still ends on its furthest rung.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path

from sqlalchemy import func, insert, select, update

from engine.models import DueJob, Event, HumanTask
from workflows.models import Notification, RectificationCase

from .conftest import PG_URL, make_platform
from .helpers import CASE, start

ROOT = Path(__file__).resolve().parent.parent
CASES, TOTAL = 150, 10_000
OPENED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # the timers fall due long before the workers start


def spawn(worker_id: str, batch=10, lease=3, idle_exit=5) -> subprocess.Popen:
    command = [sys.executable, "-m", "workflows.cli", "--database-url", PG_URL, "worker", "--worker-id", worker_id,
               "--batch", str(batch), "--lease", str(lease), "--poll", "0.2", "--idle-exit", str(idle_exit)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "SMTP_HOST": ""})


def leases_of(platform, worker_id) -> int:
    with platform.db.reading() as session:
        return session.scalar(select(func.count()).select_from(DueJob)
                              .where(DueJob.leased_by == worker_id, DueJob.status == "pending")) or 0


def test_four_workers_fire_ten_thousand_jobs_exactly_once_despite_a_kill(request, tmp_path):
    platform = make_platform("postgresql", request, tmp_path, clock=lambda: OPENED)
    instances = [start(platform, "inspector", "rectification", {**CASE, "deadline_days": 1}).instance_id
                 for _ in range(CASES)]
    with platform.db.transaction() as session:
        timers = session.scalar(select(func.count()).select_from(DueJob).where(DueJob.kind == "timer"))
        assert timers == 3 * CASES
        session.execute(insert(DueJob), [
            {"instance_id": instances[n % CASES], "kind": "reminder", "due_at": OPENED, "status": "pending",
             "payload": {"recipients": [], "title": "load"}, "attempts": 0}
            for n in range(TOTAL - timers)])

    workers = {f"w{n}": spawn(f"w{n}") for n in range(4)}
    try:
        # Kill whichever worker is first seen holding leases, while it holds them.
        deadline, victim = time.monotonic() + 60, None
        while victim is None and time.monotonic() < deadline:
            victim = next((w for w in workers if leases_of(platform, w) > 0), None)
            time.sleep(0.01)
        assert victim is not None, {w: p.poll() for w, p in workers.items()}
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].wait(timeout=30)
        with platform.db.reading() as session:
            orphaned = set(session.scalars(select(DueJob.id).where(DueJob.leased_by == victim,
                                                                   DueJob.status == "pending")))
        assert orphaned
        for worker_id, proc in workers.items():
            _out, err = proc.communicate(timeout=300)
            assert worker_id == victim or proc.returncode == 0, err.decode()
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.kill()

    with platform.db.reading() as session:
        statuses = Counter(session.scalars(select(DueJob.status)))
        job_ids = set(session.scalars(select(DueJob.id).where(DueJob.kind == "reminder")))
        sent = [e.data["job_id"] for e in session.scalars(select(Event).where(Event.kind == "reminder_sent"))]
        fired = Counter(session.execute(select(Event.instance_id, Event.element_id)
                                        .where(Event.kind == "timer_fired")).all())
        handed_over = Counter(session.scalars(select(Event.instance_id).where(Event.kind == "handed_over")))
        leases = session.execute(select(DueJob.leased_by, DueJob.lease_until)).all()
        # A reminder the killed worker held was leased again by another: its second attempt.
        retaken = dict(session.execute(select(DueJob.id, DueJob.attempts)
                                       .where(DueJob.id.in_(orphaned), DueJob.kind == "reminder")).all())
    assert statuses == {"fired": TOTAL}
    assert len(sent) == len(job_ids) and set(sent) == job_ids  # each reminder once
    assert len(fired) == timers and set(fired.values()) == {1}  # each BPMN timer once
    assert handed_over == dict.fromkeys(instances, 1)
    assert set(leases) == {(None, None)}  # a fired job holds no lease, whoever closed it
    assert retaken and min(retaken.values()) >= 2
    platform.db.dispose()


LADDER = ("rectify_remind", "rectify_deadline", "rectify_handover")
LADDER_CASES = 120


def test_parallel_workers_firing_a_cases_timers_in_any_order_only_move_it_forward(request, tmp_path):
    """All of a case's due jobs are due at once (pulled forward: the timers' own instants are days
    ahead, so each job fires its timer alone), staggered so that each of the six orders is the
    one the workers meet first in a sixth of the cases; four workers race through them."""
    platform = make_platform("postgresql", request, tmp_path)
    instances = [start(platform, "inspector", "rectification", {**CASE, "deadline_days": 5}).instance_id
                 for _ in range(LADDER_CASES)]
    orders = list(permutations(LADDER))
    now = datetime.now(UTC)
    with platform.db.transaction() as session:
        for n, instance_id in enumerate(instances):
            for position, element_id in enumerate(orders[n % len(orders)]):
                session.execute(update(DueJob).where(DueJob.instance_id == instance_id,
                                                     DueJob.element_id == element_id)
                                .values(due_at=now - timedelta(seconds=3 - position)))

    workers = {f"w{n}": spawn(f"w{n}", batch=2, lease=30, idle_exit=1.5) for n in range(4)}
    try:
        for proc in workers.values():
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.kill()

    with platform.db.reading() as session:
        cases = {c.instance_id: c for c in session.scalars(select(RectificationCase))}
        fired = defaultdict(list)
        for instance_id, element_id in session.execute(select(Event.instance_id, Event.element_id)
                                                       .where(Event.kind == "timer_fired").order_by(Event.id)):
            fired[instance_id].append(element_id)
        supervised = Counter(session.scalars(select(Event.instance_id).where(Event.kind == "supervised")))
        notices = Counter(session.execute(select(Notification.instance_id, Notification.recipient)
                                          .where(Notification.kind == "supervise")).all())
        handover_tasks = Counter(session.scalars(select(HumanTask.instance_id)
                                                 .where(HumanTask.element_id == "handover_review")))
        jobs = Counter(session.execute(select(DueJob.status, DueJob.leased_by, DueJob.lease_until)).all())
    assert set(map(tuple, fired.values())) == set(orders)  # every order happened
    for instance_id in instances:
        case = cases[instance_id]
        assert (case.escalation, case.handed_over_at is not None) == ("handed_over", True), fired[instance_id]
        assert supervised[instance_id] == 1 and handover_tasks[instance_id] == 1
        assert notices[(instance_id, "unit_head")] == notices[(instance_id, "inspector")] == 1
    assert len(notices) == 2 * LADDER_CASES
    assert jobs == {("fired", None, None): 3 * LADDER_CASES}
    platform.db.dispose()


def test_a_slow_batch_keeps_its_lease_while_a_dead_one_loses_it(pg_platform):
    """Halfway through its lease a worker renews the rest of its batch; another worker takes nothing."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from engine.models import DueJob
    from engine.worker import Worker

    now = [datetime(2026, 11, 23, 2, 0, tzinfo=UTC)]
    with pg_platform.db.transaction() as session:
        session.execute(insert(DueJob), [{"kind": "tick", "due_at": now[0], "status": "pending", "payload": {},
                                          "attempts": 0} for _ in range(3)])
    seen = {}

    def slow(session, job):
        now[0] += timedelta(seconds=40)  # each job takes 40 s of a 60 s lease
        seen[job.id] = rival.lease_due()

    rival = Worker(pg_platform.db, {"tick": slow}, worker_id="rival", clock=lambda: now[0], lease_seconds=60)
    worker = Worker(pg_platform.db, {"tick": slow}, worker_id="slow", clock=lambda: now[0], lease_seconds=60)
    assert worker.run_once() == 3
    assert all(taken == [] for taken in seen.values())  # without renewal the rival takes job 3 at t+80 s
