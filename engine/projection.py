"""Keeping the inbox table and the due-job table in step with a workflow, in the same transaction."""

from collections.abc import Callable
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .clock import as_utc, parse_instant
from .models import DueJob, Event, HumanTask, ProcessInstance


@dataclass
class Assignment:
    """Who may act on a user task. Every field that is set must match the person."""

    unit: str | None = None
    group: str | None = None
    role: str | None = None
    user: str | None = None
    due_at: object = None
    title: str | None = None


# (lane, element_id, process_key, instance data) -> Assignment
Assigner = Callable[[str | None, str, str, dict], Assignment]


def no_assignment(lane, element_id, process_key, data) -> Assignment:
    return Assignment(role=lane)


def ready_user_tasks(workflow) -> list:
    return [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]


def waiting_timers(workflow) -> list:
    found = []
    for t in workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition):
            found.append(t)
    return found


def timer_due_at(task):
    value = task._get_internal_data("event_value")
    if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition) and isinstance(value, dict):
        value = value.get("next")
    if isinstance(value, str) and value.upper().startswith("P"):
        return None
    return parse_instant(value)


def sync_human_tasks(session: Session, instance: ProcessInstance, workflow, assigner: Assigner,
                     now, actor: str | None) -> list[HumanTask]:
    """Open rows for newly ready user tasks, cancel rows whose task went away; return the new rows."""
    ready = {str(t.id): t for t in ready_user_tasks(workflow)}
    rows = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
    ).all()
    known = set()
    for row in rows:
        known.add(row.task_guid)
        if row.task_guid not in ready:
            row.status = "cancelled"
            row.completed_at = now
            session.add(Event(instance_id=instance.id, task_id=row.id, element_id=row.element_id,
                              kind="task_cancelled", actor=actor, at=now, data={}))
    created = []
    for guid, task in ready.items():
        if guid in known:
            continue
        spec = task.task_spec
        who = assigner(spec.lane, spec.bpmn_id, instance.process_key, task.data)
        row = HumanTask(
            instance_id=instance.id, process_key=instance.process_key, task_guid=guid,
            element_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id, lane=spec.lane,
            title=who.title, candidate_unit=who.unit, candidate_group=who.group,
            candidate_role=who.role, candidate_user=who.user, status="open",
            due_at=parse_instant(who.due_at), created_at=now,
        )
        session.add(row)
        created.append(row)
    session.flush()
    for row in created:
        session.add(Event(instance_id=instance.id, task_id=row.id, element_id=row.element_id,
                          kind="task_created", actor=actor, at=now,
                          data={"unit": row.candidate_unit, "group": row.candidate_group,
                                "role": row.candidate_role, "user": row.candidate_user}))
    return created


def sync_timer_jobs(session: Session, instance: ProcessInstance, workflow, now) -> None:
    """One pending job per waiting timer; jobs of timers no longer waiting are closed."""
    waiting = {str(t.id): t for t in waiting_timers(workflow)}
    jobs = session.scalars(
        select(DueJob).where(DueJob.instance_id == instance.id, DueJob.kind == "timer",
                             DueJob.status == "pending")
    ).all()
    for job in jobs:
        task = waiting.pop(job.task_guid, None)
        if task is None:
            job.status = "obsolete"
            continue
        due = timer_due_at(task)
        if due is not None and due != as_utc(job.due_at):
            job.due_at = due
    for guid, task in waiting.items():
        due = timer_due_at(task)
        if due is None:
            continue
        session.add(DueJob(instance_id=instance.id, kind="timer", task_guid=guid,
                           element_id=task.task_spec.bpmn_id, due_at=due, status="pending",
                           payload={"name": task.task_spec.bpmn_name or task.task_spec.bpmn_id}))
