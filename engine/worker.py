"""Timer workers: lease due jobs in a short transaction, then fire each in a transaction of its own.

Any number of workers may poll one PostgreSQL database. Leasing takes due rows with
``SELECT … FOR UPDATE SKIP LOCKED`` and stamps them with the worker's id and a lease deadline, so
two workers never take the same job at once. Firing locks the job's instance and then the job,
checks that the lease is still ours and the job still pending, runs the job's handler and marks
the job fired — all in one transaction, so a job fires exactly once. A worker that dies loses its
lease when ``lease_until`` passes and another worker takes the job; a live worker renews the
lease on the rest of its batch halfway through, so a slow batch stays its own. SQLite has no row locks
(SQLAlchemy leaves ``FOR UPDATE`` out there); one worker with plain transactions is enough.
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

from .clock import utcnow
from .db import Database
from .errors import StaleVersion
from .models import PENDING, DueJob, ProcessInstance

log = logging.getLogger(__name__)

# A handler does what its job stands for inside the firing transaction; raising rolls it back.
Handler = Callable[[Session, DueJob], None]
DEFAULT_POLL = 0.5
# Lost races (another action moved the instance on, a deadlock victim) are retried at once.
RETRYABLE = (StaleVersion, OperationalError)


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
                 clock=utcnow, batch: int = 50, lease_seconds: float = 60, max_attempts: int = 8):
        self.db = db
        self.handlers = dict(handlers)
        self.worker_id = worker_id or default_worker_id()
        self.clock = clock
        self.batch = batch
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.tally = Tally()

    def lease_due(self) -> list[tuple[int, int | None]]:
        """Take up to `batch` due, unleased (or lease-expired) jobs; returns (job id, instance id), earliest first."""
        now = self.clock()
        with self.db.transaction() as session:
            due = (select(DueJob.id, DueJob.instance_id)
                   .where(DueJob.status == PENDING, DueJob.due_at <= now, DueJob.kind.in_(self.handlers),
                          (DueJob.lease_until.is_(None)) | (DueJob.lease_until < now))
                   .order_by(DueJob.due_at, DueJob.id).limit(self.batch)
                   .with_for_update(skip_locked=True))
            leased = [tuple(row) for row in session.execute(due)]
            if leased:
                session.execute(update(DueJob).where(DueJob.id.in_([job_id for job_id, _i in leased]))
                                .values(leased_by=self.worker_id, lease_until=now + self.lease,
                                        attempts=DueJob.attempts + 1)
                                .execution_options(synchronize_session=False))
        self.tally.leased += len(leased)
        return leased

    def fire(self, job_id: int, instance_id: int | None = None) -> str:
        """Fire one leased job: 'fired', 'skipped' (not ours or not pending any more), 'retry' or 'failed'."""
        try:
            with self.db.transaction() as session:
                if instance_id is not None:
                    # Instance first, then job: the same order as a user action that closes timers.
                    session.get(ProcessInstance, instance_id, with_for_update=True)
                job = session.scalars(select(DueJob).where(DueJob.id == job_id).with_for_update()
                                      .execution_options(populate_existing=True)).one_or_none()
                if job is None or job.status != "pending" or job.leased_by != self.worker_id:
                    self.tally.skipped += 1
                    return "skipped"
                self.handlers[job.kind](session, job)
                if job.status == "pending":  # a handler may close its job otherwise (obsolete)
                    job.status, job.fired_at = "fired", self.clock()
                job.lease_until, job.last_error = None, None
        except RETRYABLE as err:
            self._give_back(job_id, err, retry_now=True)
            self.tally.retried += 1
            return "retry"
        except Exception as err:  # a bad job must not stop the worker; its error is kept on the row
            log.warning("due job %s failed: %s", job_id, err)
            self.tally.errors.append(f"{job_id}: {err}")
            return self._give_back(job_id, err, retry_now=False)
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

    def _give_back(self, job_id: int, err: Exception, retry_now: bool) -> str:
        now = self.clock()
        with self.db.transaction() as session:
            job = session.get(DueJob, job_id)
            if job is None or job.status != "pending" or job.leased_by != self.worker_id:
                return "skipped"
            job.last_error = f"{type(err).__name__}: {err}"[:2000]
            if retry_now:
                job.attempts, job.lease_until = max(job.attempts - 1, 0), None
                return "retry"
            if job.attempts >= self.max_attempts:
                job.status, job.lease_until = "failed", None
                self.tally.failed += 1
                return "failed"
            job.lease_until = now + timedelta(seconds=min(300, 2 ** job.attempts))
            return "retry"
