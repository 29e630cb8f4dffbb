"""Keeping the inbox table and the due-job table in step with a workflow, in the same transaction."""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from . import statements as sql
from . import store
from .clock import parse_instant
from .store import OpenedTask, Tx


@dataclass
class Assignment:
    """Who may act on a user task. Every field that is set must match the person."""

    unit: str | None = None
    group: str | None = None
    role: str | None = None
    user: str | None = None
    due_at: object = None
    title: str | None = None


# (the action's session, lane, element_id, process_key, instance data) -> Assignment; the session lets
# the caller's rule read its own tables in the action's transaction.
Assigner = Callable[[Session, str | None, str, str, dict], Assignment]


def no_assignment(session, lane, element_id, process_key, data) -> Assignment:
    return Assignment(role=lane)


def _tasks_in(workflow, state):
    # The task dictionaries hold every task; reading them is cheaper than walking the tree.
    for each in (workflow, *getattr(workflow, "subprocesses", {}).values()):
        for task in each.tasks.values():
            if task._state == state:
                yield task


def completed_end_events(workflow) -> list:
    return [t for t in _tasks_in(workflow, TaskState.COMPLETED) if isinstance(t.task_spec, EndEvent)]


def ready_tasks(workflow) -> list:
    return list(_tasks_in(workflow, TaskState.READY))


def ready_user_tasks(workflow) -> list:
    return [t for t in _tasks_in(workflow, TaskState.READY) if t.task_spec.manual]


def waiting_timers(workflow) -> list:
    return [t for t in _tasks_in(workflow, TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]


def timer_due_at(task):
    value = task._get_internal_data("event_value")
    if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition) and isinstance(value, dict):
        value = value.get("next")
    if isinstance(value, str) and value.upper().startswith("P"):
        return None
    return parse_instant(value)


@dataclass
class Snapshot:
    """What the projections show for a workflow: its ready user tasks and its waiting timers.

    Taken from the workflow as loaded, it equals the projection rows (every change goes through
    the engine), so an action compares before and after in memory instead of reading the rows.
    """

    ready: set[str]
    timers: dict[str, object]


def snapshot(workflow) -> Snapshot:
    return Snapshot({str(t.id) for t in ready_user_tasks(workflow)},
                    {str(t.id): timer_due_at(t) for t in waiting_timers(workflow)})


EMPTY = Snapshot(set(), {})


def find_task(workflow, guid: str):
    """The task with that id, or None (SpiffWorkflow raises for an unknown id)."""
    try:
        return workflow.get_task_from_id(UUID(guid))
    except TaskNotFoundException:
        return None


def fired_since(workflow, before: Snapshot) -> dict[str, tuple[str, object]]:
    """Timers waiting in `before` that have since fired, earliest due first: guid → (element id, due)."""
    fired = {}
    for guid, due in sorted(before.timers.items(), key=lambda item: str(item[1])):
        task = find_task(workflow, guid)
        if task is not None and task.state == TaskState.COMPLETED:
            fired[guid] = (task.task_spec.bpmn_id, due)
    return fired


def sync_human_tasks(tx: Tx, instance, workflow, assigner: Assigner, now, actor: str | None,
                     events: list[dict], before: Snapshot | None = None,
                     completed_guid: str | None = None) -> list[OpenedTask]:
    """Open rows for newly ready user tasks, cancel rows whose task went away; return the new rows.

    Their events are appended to `events`. Without `before`, the open rows are read from the
    table (after a migration, say).
    """
    ready = {str(t.id): t for t in ready_user_tasks(workflow)}
    if before is None:
        known = {guid for (guid,) in tx.run(sql.OPEN_TASK_GUIDS, instance=instance.id)}
    else:
        known = set(before.ready) - {completed_guid}
    for guid in sorted(known - set(ready)):
        for task_id, element_id in tx.run(sql.CANCEL_TASK, instance=instance.id, guid=guid, now=now).fetchall():
            events.append(store.event(instance.id, "task_cancelled", actor, now, element_id, task_id))
    created = []
    for guid, task in ready.items():
        if guid in known:
            continue
        spec = task.task_spec
        who = assigner(tx.session, spec.lane, spec.bpmn_id, instance.process_key, task.data)
        values = {
            "instance_id": instance.id, "process_key": instance.process_key, "task_guid": guid,
            "element_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane,
            "title": who.title, "candidate_unit": who.unit, "candidate_group": who.group,
            "candidate_role": who.role, "candidate_user": who.user, "assignee": None, "status": "open",
            "due_at": parse_instant(who.due_at), "created_at": now, "completed_at": None, "completed_by": None,
            "changed_in_version": instance.version,
        }
        row = OpenedTask(tx.scalar(sql.INSERT_TASK, **values), **values)
        created.append(row)
        events.append(store.event(instance.id, "task_created", actor, now, row.element_id, row.id,
                                  data={"unit": row.candidate_unit, "group": row.candidate_group,
                                        "role": row.candidate_role, "user": row.candidate_user}))
    return created


def sync_timer_jobs(tx: Tx, instance, workflow, now, before: Snapshot | None = None,
                    fired: set[str] = frozenset()) -> None:
    """One pending job per waiting timer; jobs of timers no longer waiting are closed.

    Jobs of timers in `fired` are marked fired, the others obsolete. Without `before`, the
    pending jobs are read from the table.
    """
    waiting = {str(t.id): t for t in waiting_timers(workflow)}
    known = tx.pending_timer_jobs(instance.id) if before is None else before.timers
    gone = set(known) - set(waiting)
    for status, fired_at, guids in (("fired", now, gone & fired), ("obsolete", None, gone - fired)):
        if guids:  # a task's boundary timers all go at once: one statement for them
            tx.run(sql.close_timer_jobs(len(guids)), instance=instance.id, status=status, fired_at=fired_at,
                   **{f"guid{i}": guid for i, guid in enumerate(sorted(guids))})
    fresh, moved = [], []
    for guid, task in waiting.items():
        due = timer_due_at(task)
        if due is None:
            continue
        if guid not in known:
            fresh.append({"instance": instance.id, "guid": guid, "element_id": task.task_spec.bpmn_id, "due": due,
                          "payload": {"name": task.task_spec.bpmn_name or task.task_spec.bpmn_id}})
        elif due != known[guid]:
            moved.append({"instance": instance.id, "guid": guid, "due": due})
    tx.run_many(sql.MOVE_TIMER_JOB, moved)
    tx.run_many(sql.INSERT_TIMER_JOB, fresh)
