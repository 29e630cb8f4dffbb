"""The engine: start instances, complete and claim tasks, fire timers — one transaction each.

Every method takes the caller's session, so the caller's own records (a policy library entry,
a ledger row) commit or roll back together with the instance. The engine never commits.
"""

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import definitions
from .clock import as_utc, utcnow
from .codec import UnsavableData
from .db import Database
from .errors import (
    Conflict,
    ExecutionFailed,
    InstanceNotFound,
    ScriptRefused,
    StaleVersion,
    TaskAlreadyDone,
    TaskClaimedByOther,
    TaskNotFound,
)
from .models import Event, HumanTask, ProcessDefinition, ProcessInstance
from .multi_instance import reset_multi_instance_outputs
from .projection import (
    EMPTY,
    Assigner,
    Snapshot,
    find_task,
    fired_since,
    no_assignment,
    ready_tasks,
    snapshot,
    sync_human_tasks,
    sync_timer_jobs,
)
from .script_engine import SandboxScriptEngine
from .state import SpecCache, dump_state, json_safe, load_state, new_workflow
from .timer_actions import TimerActions


@dataclass
class Outcome:
    """What an action left behind, for the caller's own records."""

    instance_id: int
    version: int
    status: str
    end_event: str | None
    data: dict
    new_tasks: list[HumanTask] = field(default_factory=list)
    completed_task: HumanTask | None = None
    fired_timers: list[str] = field(default_factory=list)


MAX_STEP_ROUNDS = 100


class Engine(TimerActions):
    """A BPMN runtime on SpiffWorkflow that persists every step through SQLAlchemy."""

    def __init__(self, db: Database, assigner: Assigner = no_assignment, clock=utcnow):
        self.db = db
        self.assigner = assigner
        self.clock = clock
        self.checks: list[definitions.DefinitionCheck] = []
        self.specs = SpecCache()
        self.script_engine = SandboxScriptEngine(clock=lambda: self.clock())

    # -- definitions ---------------------------------------------------------------------------

    def deploy(self, session: Session, xml, forms=None, deployed_by=None, skip_if_unchanged=False):
        """Deploy a diagram as a new version. Raises InvalidDefinition and writes nothing if it fails."""
        return definitions.deploy(session, xml, forms, deployed_by, self.clock, self.checks,
                                  skip_if_unchanged)

    def validate(self, xml, forms=None):
        """Run every deploy check without deploying. Raises InvalidDefinition."""
        return definitions.validate(xml, forms, self.checks)

    # -- instances -----------------------------------------------------------------------------

    def start(self, session: Session, process_key: str, data: dict, actor: str | None) -> Outcome:
        """Start an instance on the latest version of `process_key` with the start form's data.

        Raises DefinitionNotFound, ScriptRefused or ExecutionFailed; nothing is written then.
        """
        definition = definitions.latest_definition(session, process_key)
        spec, subs = self._specs(definition)
        workflow = new_workflow(spec, subs, self.script_engine)
        workflow.task_tree.data.update(data)
        self._steps(workflow)
        now = self.clock()
        instance = ProcessInstance(
            definition_id=definition.id, process_key=definition.key, status="running", version=1,
            state=b"", data={}, started_by=actor, started_at=now, updated_at=now,
        )
        self._apply_status(instance, workflow, now)
        instance.state = self._dump(workflow)
        session.add(instance)
        session.flush()
        session.execute(insert(Event), [{"instance_id": instance.id, "kind": "instance_started", "actor": actor,
                                         "at": now, "element_id": None, "data": json_safe(data)}])
        return self._after_step(session, instance, workflow, actor, now, before=EMPTY)

    def complete(self, session: Session, task_id: int, actor: str, data: dict, opinion: str | None = None,
                 expected_version: int | None = None) -> Outcome:
        """Complete an open user task with form data and an opinion, then run the engine steps.

        Raises TaskNotFound, TaskAlreadyDone, StaleVersion (the instance moved on since
        `expected_version`), Conflict (a cancelled task), ScriptRefused or ExecutionFailed.
        """
        row = self._open_task(session, task_id)
        instance = self._instance(session, row.instance_id)
        if expected_version is not None and expected_version != instance.version:
            raise StaleVersion(instance.id, expected_version, instance.version)
        workflow = self._load(session, instance)
        before = snapshot(workflow)
        # Timers already due fire first, as they would have if the worker were never late: a
        # deadline that passed before this action is on record before the action is.
        self._run(workflow.refresh_timers)
        self._steps(workflow)
        task = find_task(workflow, row.task_guid)
        if task is None or task.state != TaskState.READY:
            raise Conflict(f"任务 {task_id} 当前不可办理（期限已过，该环节已被撤销）")
        now = self.clock()
        early = fired_since(workflow, before)
        if early:
            session.execute(insert(Event), _timer_events(instance.id, early, actor, now))
        task.data.update(data)
        claimed = session.execute(
            update(HumanTask).where(HumanTask.id == row.id, HumanTask.status == "open")
            .values(status="completed", completed_at=now, completed_by=actor,
                    assignee=row.assignee or actor)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise self._why_not_open(session, task_id)
        reset_multi_instance_outputs(task)
        self._run(task.run)
        self._steps(workflow)
        session.execute(insert(Event), [{
            "instance_id": instance.id, "task_id": row.id, "element_id": row.element_id, "kind": "task_completed",
            "actor": actor, "at": now, "opinion": opinion, "data": json_safe(data)}])
        self._save(session, instance, workflow, now)
        for key, value in {"status": "completed", "completed_at": now, "completed_by": actor,
                           "assignee": row.assignee or actor}.items():
            set_committed_value(row, key, value)
        outcome = self._after_step(session, instance, workflow, actor, now, before=before,
                                   completed_guid=row.task_guid, recorded=set(early))
        outcome.completed_task = row
        return outcome

    def claim(self, session: Session, task_id: int, actor: str) -> HumanTask:
        """Take an offered task as its assignee. Raises TaskNotFound, TaskAlreadyDone, TaskClaimedByOther."""
        row = self._open_task(session, task_id)
        if row.assignee == actor:
            return row
        done = session.execute(
            update(HumanTask).where(HumanTask.id == row.id, HumanTask.status == "open",
                                    HumanTask.assignee.is_(None))
            .values(assignee=actor).execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            session.expire(row)
            fresh = session.get(HumanTask, task_id)
            if fresh.status != "open":
                raise self._why_not_open(session, task_id)
            raise TaskClaimedByOther(task_id, fresh.assignee)
        session.add(Event(instance_id=row.instance_id, task_id=row.id, element_id=row.element_id,
                          kind="task_claimed", actor=actor, at=self.clock(), data={}))
        session.refresh(row)
        return row

    def record(self, session: Session, instance_id: int, kind: str, actor: str | None,
               task_id: int | None = None, opinion: str | None = None, data: dict | None = None) -> Event:
        """Append an event of the caller's own (催办, 督办 …) to an instance's history."""
        self._instance(session, instance_id)
        event = Event(instance_id=instance_id, task_id=task_id, kind=kind, actor=actor,
                      at=self.clock(), opinion=opinion, data=dict(data or {}))
        session.add(event)
        return event

    def load_workflow(self, session: Session, instance_id: int):
        """The live workflow of an instance, for diagram highlighting and migrations."""
        return self._load(session, self._instance(session, instance_id))

    # -- internals -----------------------------------------------------------------------------

    def _specs(self, definition: ProcessDefinition):
        return self.specs.get(definition.id, lambda: definition.spec_json)

    def _load(self, session: Session, instance: ProcessInstance):
        def spec_json():
            return session.scalar(select(ProcessDefinition.spec_json)
                                  .where(ProcessDefinition.id == instance.definition_id))

        spec, subs = self.specs.get(instance.definition_id, spec_json)
        return load_state(instance.state, spec, subs, self.script_engine)

    def _dump(self, workflow) -> bytes:
        try:
            return dump_state(workflow)
        except UnsavableData as err:
            raise ExecutionFailed(f"流程执行出错：{err.message}") from None

    def _instance(self, session: Session, instance_id: int) -> ProcessInstance:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise InstanceNotFound(instance_id)
        return instance

    def _open_task(self, session: Session, task_id) -> HumanTask:
        try:
            task_id = int(task_id)
        except (TypeError, ValueError):
            raise TaskNotFound(task_id) from None
        row = session.get(HumanTask, task_id)
        if row is None:
            raise TaskNotFound(task_id)
        if row.status != "open":
            raise self._why_not_open(session, task_id, row)
        return row

    def _why_not_open(self, session: Session, task_id, row: HumanTask | None = None):
        row = row or session.scalars(select(HumanTask).where(HumanTask.id == task_id)
                                     .execution_options(populate_existing=True)).first()
        if row is None:
            return TaskNotFound(task_id)
        if row.status == "completed":
            return TaskAlreadyDone(task_id, row.completed_by, as_utc(row.completed_at))
        return Conflict(f"任务 {task_id} 已撤销，无需办理")

    def _steps(self, workflow) -> None:
        # do_engine_steps ends by refreshing timers, which can make a due timer ready without
        # running it; run again until only user tasks and waiting events are left.
        for _ in range(MAX_STEP_ROUNDS):
            self._run(lambda: workflow.do_engine_steps(will_complete_task=reset_multi_instance_outputs))
            if not any(not t.task_spec.manual for t in ready_tasks(workflow)):
                return
        raise ExecutionFailed("流程执行出错：自动环节循环次数过多")

    def _run(self, step) -> None:
        try:
            step()
        except ScriptRefused:
            raise
        except SpiffWorkflowException as err:
            cause = err.__cause__ or err.__context__
            if isinstance(cause, ScriptRefused):
                raise ScriptRefused(cause.message) from None
            raise ExecutionFailed(f"流程执行出错：{err}") from None
        except RecursionError:
            raise ExecutionFailed("流程执行出错：任务树过深") from None

    def _apply_status(self, instance: ProcessInstance, workflow, now) -> None:
        last = workflow.last_task or workflow.task_tree
        instance.data = json_safe(dict(last.data))
        instance.updated_at = now
        if workflow.is_completed():
            instance.status = "completed"
            instance.ended_at = now
            ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if isinstance(t.task_spec, EndEvent)]
            if ends:
                final = max(ends, key=lambda t: t.last_state_change)
                instance.end_event = final.task_spec.bpmn_id
                instance.data = json_safe(dict(final.data))

    def _save(self, session: Session, instance: ProcessInstance, workflow, now) -> None:
        expected = instance.version
        snapshot_row = ProcessInstance(status=instance.status, data=instance.data)
        self._apply_status(snapshot_row, workflow, now)
        result = session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance.id, ProcessInstance.version == expected)
            .values(state=self._dump(workflow), version=expected + 1, status=snapshot_row.status,
                    end_event=snapshot_row.end_event, data=snapshot_row.data, updated_at=now,
                    ended_at=snapshot_row.ended_at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            actual = session.scalar(select(ProcessInstance.version).where(ProcessInstance.id == instance.id))
            raise StaleVersion(instance.id, expected, actual)
        # Keep the loaded row in step with what was written, without reading it back.
        for key, value in {"version": expected + 1, "status": snapshot_row.status, "end_event": snapshot_row.end_event,
                           "data": snapshot_row.data, "updated_at": now, "ended_at": snapshot_row.ended_at}.items():
            set_committed_value(instance, key, value)

    def _after_step(self, session, instance, workflow, actor, now, before: Snapshot | None = None,
                    completed_guid: str | None = None, recorded: set[str] = frozenset()) -> Outcome:
        """Bring the projections in step. With `before` (the loaded workflow's snapshot) nothing is read."""
        created = sync_human_tasks(session, instance, workflow, self.assigner, now, actor, before, completed_guid)
        # Timers that came due while this action ran fired inside it: record them as the worker would.
        fired = fired_since(workflow, before) if before is not None else {}
        sync_timer_jobs(session, instance, workflow, now, before, fired=set(fired))
        events = _timer_events(instance.id, {g: f for g, f in fired.items() if g not in recorded}, actor, now)
        if workflow.is_completed():
            events.append({"instance_id": instance.id, "kind": "instance_completed", "actor": actor, "at": now,
                           "element_id": instance.end_event, "data": {}})
        if events:
            session.execute(insert(Event), events)
        return Outcome(instance.id, instance.version, instance.status, instance.end_event,
                       dict(instance.data or {}), created, fired_timers=[e for e, _d in fired.values()])


def _timer_events(instance_id: int, fired: dict, actor, now) -> list[dict]:
    return [{"instance_id": instance_id, "kind": "timer_fired", "actor": actor, "at": now, "element_id": element_id,
             "data": {"due_at": due.isoformat() if due else None}} for element_id, due in fired.values()]
