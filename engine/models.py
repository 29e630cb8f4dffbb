"""Tables of the engine: definitions, instances, the inbox projection, events and due jobs."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, literal_column, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Compare status with these, written out in the SQL rather than bound. The partial indexes below
# hold running instances, open or completed tasks and pending jobs only, and a plan PostgreSQL
# keeps for a prepared statement cannot count on a bound value matching an index's predicate.
RUNNING = literal_column("'running'")
OPEN = literal_column("'open'")
COMPLETED = literal_column("'completed'")
PENDING = literal_column("'pending'")


def _where(status: str) -> dict:
    return {"sqlite_where": text(f"status = '{status}'"), "postgresql_where": text(f"status = '{status}'")}


def _inbox(name: str, way: str, *columns: str) -> Index:
    """An index of the open tasks offered one way (`way` set), led by that way's column."""
    where = text(f"status = 'open' AND {way} IS NOT NULL")
    return Index(name, way, *columns, sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    pass


class ProcessDefinition(Base):
    """One immutable deployed version of a process diagram, with its forms."""

    __tablename__ = "process_definition"
    __table_args__ = (Index("ix_definition_key_version", "key", "version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    spec_json: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(JSON, default=dict)
    # Element settings from the diagram's yf:settings attributes (engine.element_settings), by element id.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    checksum: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProcessInstance(Base):
    """A running or finished case; `state` is the saved workflow without its spec."""

    __tablename__ = "process_instance"
    # Only running instances are looked up by process and version (counts per version, migration);
    # an instance enters this index when it starts and leaves it when it ends.
    __table_args__ = (Index("ix_process_instance_running", "process_key", "definition_id", **_where("running")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="running")
    end_event: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    started_by: Mapped[str | None] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HumanTask(Base):
    """A user task as the inbox sees it, kept in step with the instance in the same transaction."""

    __tablename__ = "human_task"
    __table_args__ = (
        # One index per way a task reaches an inbox, over the open tasks offered that way only:
        # opening or closing a task writes the indexes of its own ways, not all five. The
        # trailing columns answer the rest of the match from the index alone.
        _inbox("ix_human_task_open_unit", "candidate_unit", "assignee", "candidate_user", "candidate_group",
               "candidate_role"),
        _inbox("ix_human_task_open_group", "candidate_group", "assignee", "candidate_user", "candidate_unit",
               "candidate_role"),
        _inbox("ix_human_task_open_role", "candidate_role", "assignee", "candidate_user", "candidate_unit",
               "candidate_group"),
        _inbox("ix_human_task_open_user", "candidate_user", "assignee"),
        _inbox("ix_human_task_open_assignee", "assignee"),
        Index("ix_human_task_completed_by", "completed_by", "completed_at", **_where("completed")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(300))
    candidate_unit: Mapped[str | None] = mapped_column(String(64))
    candidate_group: Mapped[str | None] = mapped_column(String(64))
    candidate_role: Mapped[str | None] = mapped_column(String(64))
    candidate_user: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[str | None] = mapped_column(String(100))
    # The instance version in which the open task last changed (opened, deadline moved, migrated):
    # a completion built on an older version of the instance still applies when this is not newer.
    changed_in_version: Mapped[int | None] = mapped_column(Integer)


class Event(Base):
    """Append-only history: who did what, when, on which task, with which opinion and data."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opinion: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class DueJob(Base):
    """Something to do at a time: a BPMN timer or a reminder. Workers lease and fire these.

    `status` goes pending → fired (or obsolete: its timer no longer waits), or pending → failed
    when every attempt failed: an incident, left for an admin to retry. `attempts` counts the
    leases taken; a job no longer pending holds no lease (`leased_by`, `lease_until` empty).
    """

    __tablename__ = "due_job"
    __table_args__ = (
        Index("ix_due_job_pending", "due_at", **_where("pending")),
        Index("ix_due_job_instance", "instance_id", "task_guid"),
        Index("ix_due_job_failed", "failed_at", **_where("failed")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(40))
    task_guid: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    leased_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


