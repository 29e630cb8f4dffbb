"""What the engine does for deadlines: fire a due timer, and move a waiting task's deadline.

A mixin of `Engine`; it uses the engine's load, step, save and projection internals.
"""

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from . import statements as sql
from . import store
from .clock import parse_instant
from .errors import Conflict
from .models import DueJob, HumanTask, ProcessInstance
from .projection import find_task, snapshot, waiting_timers
from .state import json_safe
from .store import Tx


class TimerActions:
    def fire_due(self, session: Session, job: DueJob, actor: str = "system"):
        """Fire a due job's timer and whatever other timers of the instance are due by now.

        Returns the outcome (None when the job's timer no longer waits) and the element ids of
        every timer that fired, earliest first. Each fired timer gets a `timer_fired` event and its
        due job is marked fired, so nothing a worker was late for fires silently.
        Raises InstanceNotFound, StaleVersion, ScriptRefused or ExecutionFailed.
        """
        tx = Tx(session)
        instance = self._instance(tx, job.instance_id)
        spec, workflow = self._load(tx, instance)
        task = find_task(workflow, job.task_guid) if job.task_guid else None
        if task is None or task.state != TaskState.WAITING:
            self._keep(instance, spec, workflow)  # untouched: still what the row says
            return None, []
        before = snapshot(workflow)
        task._set_internal_data(event_fired=True)
        self._run(workflow.refresh_timers)
        self._steps(workflow)
        now = self.clock()
        self._save(tx, instance, workflow, now)
        outcome = self._after_step(tx, instance, workflow, actor, now, before, [])
        self._keep(instance, spec, workflow)
        return outcome, outcome.fired_timers

    def reschedule(self, session: Session, task_id: int, data: dict, actor: str, kind: str = "deadline_changed",
                   opinion: str | None = None):
        """Merge `data` into an open user task and make the timers attached to it read their instants again.

        Boundary timers still waiting on the task forget their computed instant and evaluate their
        expression against the new data; their due jobs and the task's due date move in the same
        transaction, recorded as a `kind` event. Raises TaskNotFound, TaskAlreadyDone, Conflict,
        ScriptRefused or ExecutionFailed.
        """
        tx = Tx(session)
        row, instance = self._open_task(tx, task_id, lock=True)
        spec, workflow = self._load(tx, instance)
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
        merged = {**tx.instance_data(instance.id), **json_safe(data)}
        self._save(tx, instance, workflow, now)
        # The instance keeps the data it had, with the new values over it (not the task's view of it).
        tx.run(sql.SET_INSTANCE_DATA, id=instance.id, data=merged)
        instance.data = merged
        tx.in_step(ProcessInstance, instance.id, {"data": merged})
        due = parse_instant(self.assigner(session, row.lane, row.element_id, row.process_key, task.data).due_at)
        if due is not None:
            tx.run(sql.MOVE_TASK_DUE, id=row.id, due=due, version=instance.version)
            tx.in_step(HumanTask, row.id, {"due_at": due, "changed_in_version": instance.version})
        else:
            tx.run(sql.TOUCH_TASK, id=row.id, version=instance.version)
            tx.in_step(HumanTask, row.id, {"changed_in_version": instance.version})
        events = [store.event(instance.id, kind, actor, now, row.element_id, row.id, opinion, json_safe(data))]
        outcome = self._after_step(tx, instance, workflow, actor, now, None, events)
        self._keep(instance, spec, workflow)
        return outcome
