"""The reads and writes every action makes, as statements built once.

Building a SQLAlchemy statement and its cache key takes longer than SQLite takes to run it, and an
action runs the same handful each time; so they are built here once, with bound parameters, and
run on the session's own connection, inside the caller's transaction. ORM objects of the same
rows that the caller already holds are brought in step, so nothing the session shows goes stale.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .models import DueJob, Event, HumanTask, ProcessDefinition, ProcessInstance


@dataclass
class InstanceRow:
    """What an action needs of an instance row: its identity, its version and its saved state."""

    id: int
    definition_id: int
    process_key: str
    version: int
    status: str
    end_event: str | None
    state: bytes
    data: dict | None = None
    ended_at: object = None


_INSTANCE = (ProcessInstance.id, ProcessInstance.definition_id, ProcessInstance.process_key,
             ProcessInstance.version, ProcessInstance.status, ProcessInstance.end_event, ProcessInstance.state)
_TASK = tuple(HumanTask.__table__.c)

READ_INSTANCE = select(*_INSTANCE).where(ProcessInstance.id == bindparam("instance_id"))
READ_TASK = select(*_TASK).where(HumanTask.id == bindparam("task_id"))
LATEST_DEFINITION = (select(ProcessDefinition.id).where(ProcessDefinition.key == bindparam("key"))
                     .order_by(ProcessDefinition.version.desc()).limit(1))
SPEC_JSON = select(ProcessDefinition.spec_json).where(ProcessDefinition.id == bindparam("definition_id"))

INSERT_INSTANCE = insert(ProcessInstance).returning(ProcessInstance.id)
SAVE_INSTANCE = (
    update(ProcessInstance)
    .where(ProcessInstance.id == bindparam("b_id"), ProcessInstance.version == bindparam("b_expected"))
    .values(state=bindparam("b_state"), version=bindparam("b_version"), status=bindparam("b_status"),
            end_event=bindparam("b_end_event"), data=bindparam("b_data"), updated_at=bindparam("b_now"),
            ended_at=bindparam("b_ended_at"))
)
INSTANCE_DATA = select(ProcessInstance.data).where(ProcessInstance.id == bindparam("instance_id"))
SET_INSTANCE_DATA = update(ProcessInstance).where(ProcessInstance.id == bindparam("b_id")).values(
    data=bindparam("b_data"))
INSTANCE_VERSION = select(ProcessInstance.version).where(ProcessInstance.id == bindparam("instance_id"))

COMPLETE_TASK = (
    update(HumanTask)
    .where(HumanTask.id == bindparam("b_id"), HumanTask.status == "open")
    .values(status="completed", completed_at=bindparam("b_now"), completed_by=bindparam("b_actor"),
            assignee=bindparam("b_assignee"))
)
CLAIM_TASK = (
    update(HumanTask)
    .where(HumanTask.id == bindparam("b_id"), HumanTask.status == "open", HumanTask.assignee.is_(None))
    .values(assignee=bindparam("b_actor"))
)
MOVE_TASK_DUE = update(HumanTask).where(HumanTask.id == bindparam("b_id")).values(due_at=bindparam("b_due"))
INSERT_TASKS = insert(HumanTask).returning(HumanTask.id, sort_by_parameter_order=True)
CANCEL_TASKS = (
    update(HumanTask)
    .where(HumanTask.instance_id == bindparam("b_instance"),
           HumanTask.task_guid.in_(bindparam("b_guids", expanding=True)), HumanTask.status == "open")
    .values(status="cancelled", completed_at=bindparam("b_now"))
    .returning(HumanTask.id, HumanTask.element_id)
)

INSERT_EVENTS = insert(Event)

INSERT_JOBS = insert(DueJob)
CLOSE_TIMER_JOBS = (
    update(DueJob)
    .where(DueJob.instance_id == bindparam("b_instance"), DueJob.kind == "timer",
           DueJob.task_guid.in_(bindparam("b_guids", expanding=True)), DueJob.status == "pending")
    .values(status=bindparam("b_status"), fired_at=bindparam("b_fired_at"))
)
MOVE_TIMER_JOB = (
    update(DueJob)
    .where(DueJob.instance_id == bindparam("b_instance"), DueJob.task_guid == bindparam("b_guid"),
           DueJob.status == "pending")
    .values(due_at=bindparam("b_due"))
)


def connection(session: Session) -> Connection:
    """The session's connection, with whatever the caller added to the session written first."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def read_instance(conn: Connection, instance_id) -> InstanceRow | None:
    row = conn.execute(READ_INSTANCE, {"instance_id": instance_id}).first()
    return InstanceRow(*row) if row is not None else None


def read_task(conn: Connection, task_id: int):
    """The human_task row as a tuple with named fields, or None."""
    return conn.execute(READ_TASK, {"task_id": task_id}).first()


def event(instance_id, kind: str, actor, at, element_id=None, task_id=None, opinion=None, data=None) -> dict:
    """One row for INSERT_EVENTS; every row has every column, so a batch is one statement."""
    return {"instance_id": instance_id, "task_id": task_id, "element_id": element_id, "kind": kind,
            "actor": actor, "at": at, "opinion": opinion, "data": data if data is not None else {}}


def insert_events(conn: Connection, events: list[dict]) -> None:
    if events:
        conn.execute(INSERT_EVENTS, events)


def in_step(session: Session, model, ident, values: dict):
    """Bring the session's object of that row, if it holds one, in step with what was written."""
    found = session.identity_map.get(session.identity_key(model, (ident,)))
    if found is not None:
        for key, value in values.items():
            set_committed_value(found, key, value)
    return found
