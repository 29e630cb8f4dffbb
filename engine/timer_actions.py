"""What the engine does for deadlines: fire a due timer, and move a waiting task's deadline.

A mixin of `Engine`; it uses the engine's load, step, save and projection internals.
"""

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm import Session

from .clock import parse_instant
from .errors import Conflict
from .models import DueJob, Event, ProcessInstance
from .projection import find_task, snapshot, waiting_timers
from .state import json_safe


class TimerActions:
    def fire_due(self, session: Session, job: DueJob, actor: str = "system"):
        """Fire a due job's timer and whatever other timers of the instance are due by now.

        Returns the outcome (None when the job's timer no longer waits) and the element ids of
        every timer that fired, earliest first. Each fired timer gets a `timer_fired` event and its
        due job is marked fired, so nothing a worker was late for fires silently.
        Raises InstanceNotFound, StaleVersion, ScriptRefused or ExecutionFailed.
        """
        instance = self._instance(session, job.instance_id)
        workflow = self._load(session, instance)
        task = find_task(workflow, job.task_guid) if job.task_guid else None
        if task is None or task.state != TaskState.WAITING:
            return None, []
        before = snapshot(workflow)
        task._set_internal_data(event_fired=True)
        self._run(workflow.refresh_timers)
        self._steps(workflow)
        now = self.clock()
        self._save(session, instance, workflow, now)
        outcome = self._after_step(session, instance, workflow, actor, now, before=before)
        return outcome, outcome.fired_timers

    def reschedule(self, session: Session, task_id: int, data: dict, actor: str, kind: str = "deadline_changed",
                   opinion: str | None = None):
        """Merge `data` into an open user task and make the timers attached to it read their instants again.

        Boundary timers still waiting on the task forget their computed instant and evaluate their
        expression against the new data; their due jobs and the task's due date move in the same
        transaction, recorded as a `kind` event. Raises TaskNotFound, TaskAlreadyDone, Conflict,
        ScriptRefused or ExecutionFailed.
        """
        row = self._open_task(session, task_id)
        instance = self._instance(session, row.instance_id)
        workflow = self._load(session, instance)
        task = find_task(workflow, row.task_guid)
        if task is None or task.state != TaskState.READY:
            raise Conflict(f"任务 {task_id} 当前不可调整期限")
        task.data.update(data)
        if task.parent is not None:
            task.parent.data.update(data)  # waiting boundary timers inherit their data from here again
        for timer in waiting_timers(workflow):
            if timer.parent is task.parent:
                timer.data.update(data)
                timer.internal_data.pop("event_value", None)
        self._run(workflow.refresh_timers)
        self._steps(workflow)
        now = self.clock()
        session.add(Event(instance_id=instance.id, task_id=row.id, element_id=row.element_id, kind=kind,
                          actor=actor, at=now, opinion=opinion, data=json_safe(data)))
        merged = {**(instance.data or {}), **json_safe(data)}
        self._save(session, instance, workflow, now)
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(data=merged)
                        .execution_options(synchronize_session=False))
        session.expire(instance)
        who = self.assigner(row.lane, row.element_id, row.process_key, task.data)
        row.due_at = parse_instant(who.due_at) or row.due_at
        return self._after_step(session, instance, workflow, actor, now)
