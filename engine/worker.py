"""Timer workers: lease due jobs in a short transaction, then fire each in a transaction of its own.

Any number of workers may poll one PostgreSQL database. Leasing takes due rows with
``SELECT … FOR UPDATE SKIP LOCKED`` and stamps them with the worker's id and a lease deadline, so
two workers never take the same job at once. Firing locks the job's instance and then the job,
checks that the lease is still ours and the job still pending, runs the job's handler and marks
the job fired — all in one transaction, so a job fires exactly once. A worker that dies loses its
lease when ``lease_until`` passes and another worker takes the job; a live worker renews the
lease on the rest of its batch halfway through, so a slow batch stays its own. SQLite has no row locks
(SQLAlchemy leaves ``FOR UPDATE`` out there); one worker with plain transactions is enough.

Each lease counts as an attempt, so a job that kills or hangs its worker is counted like one
whose handler raises. A failed attempt is retried after a backoff that doubles; after
``max_attempts`` the job becomes an incident (status ``failed``, see `engine.incidents`): no
worker leases it again until an admin retries it. Lost races (another action moved the instance
on, a deadlock victim) say nothing about the job: they are retried at once and not counted.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .clock import as_utc, utcnow
from .db import Database
from .errors import EngineError, StaleVersion
from .incidents import open_incident
from .models import PENDING, DueJob, ProcessInstance

log = logging.getLogger(__name__)

# A handler does what its job stands for inside the firing transaction; raising rolls it back.
Handler = Callable[[Session, DueJob], None]
DEFAULT_POLL = 0.5
# PostgreSQL's serialization failure and deadlock victim: lost races, like SQLite's busy writer.
RACE_STATES = frozenset({"40001", "40P01"})
MAX_BACKOFF = 300  # seconds between two attempts, at most
MAX_ATTEMPTS = 8  # leases a job gets before it becomes an incident


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Tally:
    """What a worker did so far."""

    leased: int = 0
    fired: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class Worker:
    """Leases and fires due jobs of the kinds it has handlers for."""

    def __init__(self, db: Database, handlers: dict[str, Handler], worker_id: str | None = None,
                 clock=utcnow, batch: int = 50, lease_seconds: float = 60, max_attempts: int = MAX_ATTEMPTS):
        self.db = db
        self.handlers = dict(handlers)
        self.worker_id = worker_id or default_worker_id()
        self.clock = clock
        self.batch = batch
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.tally = Tally()

    def lease_due(self) -> list[tuple[int, int | None]]:
        """Take up to `batch` due, unleased (or lease-expired) jobs; returns (job id, instance id), earliest first.

        A job that comes back with all its attempts spent was held by a worker that never
        finished it (died, or hung past its lease): it becomes an incident instead.
        """
        now = self.clock()
        with self.db.transaction() as session:
            due = (select(DueJob.id, DueJob.instance_id, DueJob.attempts)
                   .where(DueJob.status == PENDING, DueJob.due_at <= now, DueJob.kind.in_(self.handlers),
                          (DueJob.lease_until.is_(None)) | (DueJob.lease_until < now))
                   .order_by(DueJob.due_at, DueJob.id).limit(self.batch)
                   .with_for_update(skip_locked=True))
            rows = session.execute(due).all()
            leased = [(job_id, instance_id) for job_id, instance_id, attempts in rows
                      if attempts < self.max_attempts]
            spent = [(job_id, instance_id) for job_id, instance_id, attempts in rows
                     if attempts >= self.max_attempts]
            if leased:
                session.execute(update(DueJob).where(DueJob.id.in_([job_id for job_id, _i in leased]))
                                .values(leased_by=self.worker_id, lease_until=now + self.lease,
                                        attempts=DueJob.attempts + 1)
                                .execution_options(synchronize_session=False))
        for job_id, instance_id in spent:
            self._abandon(job_id, instance_id)
        self.tally.leased += len(leased)
        return leased

    def fire(self, job_id: int, instance_id: int | None = None) -> str:
        """Fire one leased job: 'fired', 'skipped' (not ours or not pending any more), 'retry' or 'failed'."""
        try:
            with self.db.transaction() as session:
                job = _locked(session, job_id, instance_id)
                if job is None or job.status != "pending" or job.leased_by != self.worker_id:
                    self.tally.skipped += 1
                    return "skipped"
                self.handlers[job.kind](session, job)
                if job.status == "pending":  # a handler may close its job otherwise (obsolete)
                    job.status, job.fired_at = "fired", self.clock()
                job.leased_by, job.lease_until, job.last_error = None, None, None
        except Exception as err:  # a bad job must not stop the worker; its error is kept on the row
            if lost_race(err):
                self._give_back(job_id, instance_id, err, retry_now=True)
                self.tally.retried += 1
                return "retry"
            self.tally.errors.append(f"{job_id}: {err}")
            return self._give_back(job_id, instance_id, err, retry_now=False)
        self.tally.fired += 1
        return "fired"

    def run_once(self) -> int:
        """Lease one batch and fire it; returns how many jobs fired.

        Halfway through the lease the jobs not yet fired are leased again, so a slow batch is
        not taken over by another worker while this one is still working through it.
        """
        fired = 0
        leased = self.lease_due()
        renew_at = self.clock() + self.lease / 2
        for n, (job_id, instance_id) in enumerate(leased):
            if self.clock() >= renew_at:
                self.renew([remaining for remaining, _i in leased[n:]])
                renew_at = self.clock() + self.lease / 2
            fired += self.fire(job_id, instance_id) == "fired"
        return fired

    def renew(self, job_ids: list[int]) -> int:
        """Extend this worker's lease on `job_ids` still pending; returns how many it kept."""
        with self.db.transaction() as session:
            kept = session.execute(
                update(DueJob).where(DueJob.id.in_(job_ids), DueJob.leased_by == self.worker_id,
                                     DueJob.status == "pending")
                .values(lease_until=self.clock() + self.lease).execution_options(synchronize_session=False))
        return kept.rowcount

    def run(self, poll: float = DEFAULT_POLL, stop: threading.Event | None = None,
            idle_exit: float | None = None) -> Tally:
        """Poll until `stop` is set, or until nothing was due for `idle_exit` seconds."""
        stop = stop or threading.Event()
        idle_since = time.monotonic()
        while not stop.is_set():
            leased_before = self.tally.leased
            self.run_once()
            if self.tally.leased - leased_before >= self.batch:
                idle_since = time.monotonic()
                continue  # a full batch: more may be due already
            if self.tally.leased > leased_before:
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                break
            stop.wait(poll)
        return self.tally

    def backoff(self, attempts: int) -> timedelta:
        """How long a job waits after its `attempts`-th failed attempt: 2, 4, 8 … seconds, at most 5 minutes."""
        return timedelta(seconds=min(MAX_BACKOFF, 2 ** attempts))

    def _give_back(self, job_id: int, instance_id: int | None, err: Exception, retry_now: bool) -> str:
        now = self.clock()
        error = one_line(err.message if isinstance(err, EngineError) else f"{type(err).__name__}: {err}")
        with self.db.transaction() as session:
            job = _locked(session, job_id, instance_id)
            if job is None or job.status != "pending" or job.leased_by != self.worker_id:
                return "skipped"
            job.last_error = error
            if retry_now:
                job.attempts, job.lease_until = max(job.attempts - 1, 0), None
                return "retry"
            if job.attempts >= self.max_attempts:
                self._fail(session, job, error, now)
                return "failed"
            delay = self.backoff(job.attempts)
            job.lease_until = now + delay  # no worker takes it before then
            log.warning("%s第 %s/%s 次执行失败：%s；%s 秒后重试", describe(job), job.attempts, self.max_attempts,
                        error, int(delay.total_seconds()))
            return "retry"

    def _abandon(self, job_id: int, instance_id: int | None) -> None:
        """Make an incident of a job whose every lease ran out unfinished (its workers died or hung)."""
        with self.db.transaction() as session:
            job = _locked(session, job_id, instance_id)
            now = self.clock()
            if (job is None or job.status != "pending" or job.attempts < self.max_attempts
                    or (job.lease_until is not None and as_utc(job.lease_until) >= now)):
                return  # another worker got here first
            error = f"第 {job.attempts} 次执行未在租约期内结束（执行器崩溃或卡住）"
            if job.last_error:
                error += f"；此前错误：{job.last_error}"
            self._fail(session, job, one_line(error), now)

    def _fail(self, session: Session, job: DueJob, error: str, now) -> None:
        open_incident(session, job, error, now)
        self.tally.failed += 1
        log.error("%s执行 %s 次均失败，已转为异常待管理员处理：%s", describe(job), job.attempts, error)


def _locked(session: Session, job_id: int, instance_id: int | None) -> DueJob | None:
    """The job, read afresh and locked, after its instance: the order every action that closes timers takes."""
    if instance_id is not None:
        session.get(ProcessInstance, instance_id, with_for_update=True)
    return session.scalars(select(DueJob).where(DueJob.id == job_id).with_for_update()
                           .execution_options(populate_existing=True)).one_or_none()


def lost_race(err: Exception) -> bool:
    """Whether `err` says only that another transaction got there first: retried at once, not counted.

    Any other database error (a statement timeout, say) counts as a failed attempt, so a job
    that always meets it ends as an incident instead of being retried forever.
    """
    if isinstance(err, StaleVersion):
        return True
    if isinstance(err, OperationalError):
        return getattr(err.orig, "sqlstate", None) in RACE_STATES or "database is locked" in str(err.orig)
    return False


def one_line(text: str, limit: int = 2000) -> str:
    """An error as one line of at most `limit` characters (a log line, a table cell)."""
    return " ".join(text.split())[:limit]


def describe(job: DueJob) -> str:
    where = [job.kind]
    if job.instance_id is not None:
        where.append(f"实例 {job.instance_id}")
    if job.element_id:
        where.append(f"元素 {job.element_id}")
    return f"定时任务 {job.id}（{'，'.join(where)}）"
