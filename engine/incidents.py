"""Incidents: due jobs whose every attempt failed, kept for an admin to read and to retry.

A worker turns a job into an incident (`open_incident`) when its handler has failed
`max_attempts` times, or when its last lease ran out with the worker that held it gone. The row
keeps its last error and its attempts; no worker leases it again. An admin's retry puts it back
as pending with its attempts reset, in one conditional statement, so of two admins retrying at
once exactly one does and the other is told it is done already.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .clock import as_utc
from .errors import Conflict, NotFound
from .models import DueJob, Event, ProcessDefinition, ProcessInstance

FAILED = "failed"


@dataclass(frozen=True)
class Incident:
    """A failed job as admins see it: where it belongs, what went wrong, when, after how many attempts."""

    id: int
    kind: str
    process_key: str | None
    process_name: str | None
    instance_id: int | None
    element_id: str | None
    element_name: str | None
    error: str | None
    failed_at: datetime | None
    attempts: int
    due_at: datetime | None

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "process_key": self.process_key,
                "process_name": self.process_name, "instance_id": self.instance_id,
                "element_id": self.element_id, "element_name": self.element_name, "error": self.error,
                "failed_at": _iso(self.failed_at), "attempts": self.attempts, "due_at": _iso(self.due_at)}


class IncidentNotFound(NotFound):
    def __init__(self, job_id):
        super().__init__(f"异常任务 {job_id} 不存在")


def open_incident(session: Session, job: DueJob, error: str, now: datetime) -> None:
    """Stop retrying `job` (locked by the caller): it keeps `error` and its attempts, and holds no lease."""
    job.status, job.failed_at, job.last_error = FAILED, now, error
    job.leased_by, job.lease_until = None, None
    if job.instance_id is not None:
        session.add(Event(instance_id=job.instance_id, kind="job_failed", actor="system", at=now,
                          element_id=job.element_id,
                          opinion=f"定时任务执行 {job.attempts} 次均失败，已转管理员处理：{error[:200]}",
                          data={"job_id": job.id, "kind": job.kind, "attempts": job.attempts, "error": error}))


def count_incidents(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DueJob).where(DueJob.status == FAILED)) or 0


def list_incidents(session: Session, limit: int = 50, offset: int = 0) -> list[Incident]:
    """Incidents, the latest first, with the process and instance each belongs to."""
    rows = session.execute(
        select(DueJob, ProcessInstance.process_key, ProcessDefinition.name)
        .outerjoin(ProcessInstance, ProcessInstance.id == DueJob.instance_id)
        .outerjoin(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(DueJob.status == FAILED)
        .order_by(DueJob.failed_at.desc().nulls_last(), DueJob.id.desc())
        .limit(limit).offset(offset))
    return [_incident(job, key, name) for job, key, name in rows]


def retry_incident(session: Session, job_id: int, actor: str, now: datetime, note: str | None = None) -> DueJob:
    """Put an incident back as pending with its attempts reset; the next worker poll fires it.

    `note` (why it can run now: the data was fixed, the mail server is back) goes into the history.

    Raises IncidentNotFound (no such job) or Conflict (not an incident: someone retried it
    already, or it never failed).
    """
    reset = session.execute(
        update(DueJob).where(DueJob.id == job_id, DueJob.status == FAILED)
        .values(status="pending", attempts=0, leased_by=None, lease_until=None, failed_at=None)
        .execution_options(synchronize_session=False))
    job = session.get(DueJob, job_id, populate_existing=True)
    if reset.rowcount != 1:
        if job is None:
            raise IncidentNotFound(job_id)
        raise Conflict(f"异常任务 {job_id} 已由他人重试或已不在异常状态，请刷新后查看")
    if job.instance_id is not None:
        session.add(Event(instance_id=job.instance_id, kind="job_retried", actor=actor, at=now,
                          element_id=job.element_id, opinion=note or "管理员重试失败的定时任务",
                          data={"job_id": job.id, "kind": job.kind, "error": job.last_error}))
    return job


def _incident(job: DueJob, process_key: str | None, process_name: str | None) -> Incident:
    return Incident(id=job.id, kind=job.kind, process_key=process_key, process_name=process_name,
                    instance_id=job.instance_id, element_id=job.element_id,
                    element_name=(job.payload or {}).get("name"), error=job.last_error,
                    failed_at=as_utc(job.failed_at), attempts=job.attempts, due_at=as_utc(job.due_at))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
