"""The engine: start instances, complete and claim tasks, fire timers — one transaction each.

Every method takes the caller's session, so the caller's own records (a policy library entry,
a ledger row) commit or roll back together with the instance. The engine never commits.
"""

from dataclasses import dataclass, field

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import definitions, store
from . import statements as sql
from .clock import as_utc, utcnow
from .codec import UnsavableData
from .db import Database
from .errors import (
    Conflict,
    DefinitionNotFound,
    EngineError,
    ExecutionFailed,
    InstanceNotFound,
    StaleVersion,
    TaskAlreadyDone,
    TaskClaimedByOther,
    TaskNotFound,
)
from .fresh import FreshWorkflows
from .live import LiveWorkflows
from .messages import describe
from .models import HumanTask, ProcessInstance
from .multi_instance import reset_multi_instance_outputs
from .projection import (
    EMPTY,
    Assigner,
    Snapshot,
    completed_end_events,
    find_task,
    fired_since,
    no_assignment,
    ready_tasks,
    snapshot,
    sync_human_tasks,
    sync_timer_jobs,
)
from .reassign import Reassignment
from .script_engine import SandboxScriptEngine
from .state import SpecCache, dump_state, json_safe, load_state
from .stepping import StepBudget, do_engine_steps
from .store import InstanceRow, OpenedTask, TaskRow, Tx, check_seen
from .timer_actions import TimerActions


@dataclass
class Outcome:
    """What an action left behind, for the caller's own records."""

    instance_id: int
    version: int
    status: str
    end_event: str | None
    data: dict
    new_tasks: list[OpenedTask] = field(default_factory=list)
    fired_timers: list[str] = field(default_factory=list)


MAX_STEP_ROUNDS = 100


class Engine(TimerActions, Reassignment):
    """A BPMN runtime on SpiffWorkflow that persists every step through SQLAlchemy."""

    def __init__(self, db: Database, assigner: Assigner = no_assignment, clock=utcnow):
        self.db = db
        self.assigner = assigner
        self.clock = clock
        self.checks: list[definitions.DefinitionCheck] = []
        self.specs = SpecCache()
        self.live = LiveWorkflows()
        self.fresh = FreshWorkflows()
        self.script_engine = SandboxScriptEngine(clock=lambda: self.clock())
        self.step_limits = (10_000, 5.0)  # automatic tasks and CPU seconds one call may run (StepBudget)

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
        tx = Tx(session)
        definition_id = tx.scalar(sql.LATEST_DEFINITION, key=process_key)
        if definition_id is None:
            raise DefinitionNotFound(process_key)
        spec, subs = self._specs(tx, definition_id)
        workflow = self.fresh.new(spec, subs, self.script_engine)
        workflow.task_tree.data.update(data)
        self._steps(workflow)
        now = self.clock()
        instance = InstanceRow(None, definition_id, process_key, 1, "running", None, b"")
        self._apply_status(instance, workflow, now)
        instance.state = self._dump(workflow)
        instance.id = tx.scalar(sql.INSERT_INSTANCE, definition_id=definition_id, process_key=process_key,
                                status=instance.status, end_event=instance.end_event, state=instance.state,
                                data=instance.data, actor=actor, now=now, ended_at=instance.ended_at)
        events = [store.event(instance.id, "instance_started", actor, now, data=json_safe(data))]
        outcome = self._after_step(tx, instance, workflow, actor, now, EMPTY, events)
        self._keep(instance, spec, workflow)
        return outcome

    def complete(self, session: Session, task_id: int, actor: str, data: dict, opinion: str | None = None,
                 expected_version: int | None = None) -> Outcome:
        """Complete an open user task with form data and an opinion, then run the engine steps.

        `expected_version` is the instance version the person saw. The instance may have moved on
        since (a parallel task was completed): the completion still applies while the task itself
        is open and unchanged since that version.

        Raises TaskNotFound, TaskAlreadyDone, StaleVersion (the task changed since
        `expected_version`), Conflict (a cancelled task), ScriptRefused or ExecutionFailed.
        """
        tx = Tx(session)
        row, instance = self._open_task(tx, task_id, lock=True)
        check_seen(row, instance, expected_version)
        spec, workflow = self._load(tx, instance)
        before = snapshot(workflow)
        # Timers already due fire first, as they would have if the worker were never late: a
        # deadline that passed before this action is on record before the action is.
        stepped = self._catch_up(workflow, before)
        task = find_task(workflow, row.task_guid)
        if task is None or task.state != TaskState.READY:
            raise Conflict(f"任务 {task_id} 当前不可办理（期限已过，该环节已被撤销）")
        now = self.clock()
        early = fired_since(workflow, before) if stepped else {}
        events = _timer_events(instance.id, early, actor, now)
        task.data.update(data)
        done = {"status": "completed", "completed_at": now, "completed_by": actor,
                "assignee": row.assignee or actor}
        if tx.run(sql.COMPLETE_TASK, id=row.id, now=now, actor=actor, assignee=done["assignee"]).rowcount != 1:
            raise self._why_not_open(session, task_id)
        reset_multi_instance_outputs(task)
        self._run(task.run)
        self._steps(workflow)
        events.append(store.event(instance.id, "task_completed", actor, now, row.element_id, row.id, opinion,
                                  json_safe(data)))
        self._save(tx, instance, workflow, now)
        tx.in_step(HumanTask, row.id, done)
        outcome = self._after_step(tx, instance, workflow, actor, now, before, events,
                                   completed_guid=row.task_guid, recorded=set(early))
        self._keep(instance, spec, workflow)
        return outcome

    def claim(self, session: Session, task_id: int, actor: str, expected_version: int | None = None) -> HumanTask:
        """Take an offered task as its assignee.

        Like a completion, a claim built on an older instance version (`expected_version`) applies
        while the task itself has not changed since. Raises TaskNotFound, TaskAlreadyDone,
        TaskClaimedByOther or StaleVersion.
        """
        tx = Tx(session)
        row, instance = self._open_task(tx, task_id)
        check_seen(row, instance, expected_version)
        if row.assignee != actor:
            if tx.run(sql.CLAIM_TASK, id=row.id, actor=actor).rowcount != 1:
                fresh, _instance = tx.task_with_instance(row.id)
                if fresh.status != "open":
                    raise self._why_not_open(session, task_id)
                raise TaskClaimedByOther(task_id, fresh.assignee)
            tx.insert_events([store.event(row.instance_id, "task_claimed", actor, self.clock(), row.element_id,
                                          row.id)])
        tx.in_step(HumanTask, row.id, {"assignee": actor})
        return session.get(HumanTask, row.id)

    def record(self, session: Session, instance_id: int, kind: str, actor: str | None,
               task_id: int | None = None, opinion: str | None = None, data: dict | None = None) -> None:
        """Append an event of the caller's own (催办, 督办 …) to an instance's history. Raises InstanceNotFound."""
        tx = Tx(session)
        self._instance(tx, instance_id)
        tx.insert_events([store.event(instance_id, kind, actor, self.clock(), None, task_id, opinion,
                                      dict(data or {}))])

    def load_workflow(self, session: Session, instance_id: int):
        """The live workflow of an instance, for diagram highlighting and migrations."""
        tx = Tx(session)
        return self._load(tx, self._instance(tx, instance_id))[1]

    # -- internals -----------------------------------------------------------------------------

    def _specs(self, tx: Tx, definition_id: int):
        return self.specs.get(definition_id, lambda: tx.scalar(sql.SPEC_JSON, id=definition_id))

    def _load(self, tx: Tx, instance: InstanceRow):
        """The spec and the workflow of an instance: the one its last save left, or decoded from its state."""
        spec, subs = self._specs(tx, instance.definition_id)
        workflow = self.live.take(instance.id, spec, instance.state)
        if workflow is None:
            return spec, load_state(instance.state, spec, subs, self.script_engine)
        workflow.script_engine = self.script_engine
        return spec, workflow

    def _keep(self, instance: InstanceRow, spec, workflow) -> None:
        """Keep the workflow just saved for the instance's next action; a finished one has none."""
        if instance.status == "running":
            self.live.put(instance.id, spec, instance.state, workflow)

    def _dump(self, workflow) -> bytes:
        try:
            return dump_state(workflow)
        except UnsavableData as err:
            raise ExecutionFailed(f"流程执行出错：{err.message}") from None

    def _instance(self, tx: Tx, instance_id) -> InstanceRow:
        instance = tx.instance(instance_id)
        if instance is None:
            raise InstanceNotFound(instance_id)
        return instance

    def _open_task(self, tx: Tx, task_id, lock: bool = False) -> tuple[TaskRow, InstanceRow]:
        """The open task's row and its instance's, the instance locked for writing with `lock`.

        Raises TaskNotFound, TaskAlreadyDone or Conflict.
        """
        try:
            task_id = int(task_id)
        except (TypeError, ValueError):
            raise TaskNotFound(task_id) from None
        found = tx.task_with_instance(task_id, lock)
        if found is None:
            raise TaskNotFound(task_id)
        if found[0].status != "open":
            raise self._why_not_open(tx.session, task_id)
        return found

    def _why_not_open(self, session: Session, task_id):
        row = session.scalars(select(HumanTask).where(HumanTask.id == task_id)
                              .execution_options(populate_existing=True)).first()
        if row is None:
            return TaskNotFound(task_id)
        if row.status == "completed":
            return TaskAlreadyDone(task_id, row.completed_by, as_utc(row.completed_at))
        return Conflict(f"任务 {task_id} 已撤销，无需办理")

    def _catch_up(self, workflow, before: Snapshot) -> bool:
        """Fire the timers that came due while the instance was saved, and step on from them.

        Returns whether anything had to run.
        """
        now = self.clock()
        due = any(at is None or at <= now for at in before.timers.values())
        if not due and not any(not t.task_spec.manual for t in ready_tasks(workflow)):
            return False
        self._run(workflow.refresh_timers)
        self._steps(workflow)
        return True

    def _steps(self, workflow) -> None:
        # do_engine_steps ends by refreshing timers, which can make a due timer ready without
        # running it; run again until only user tasks and waiting events are left.
        budget = StepBudget(*self.step_limits)
        for _ in range(MAX_STEP_ROUNDS):
            self._run(lambda: do_engine_steps(workflow, budget.before(reset_multi_instance_outputs)))
            if not any(not t.task_spec.manual for t in ready_tasks(workflow)):
                return
        raise ExecutionFailed("流程执行出错：自动环节循环次数过多")

    def _run(self, step) -> None:
        # The script engine's errors (ScriptRefused, ScriptFailed, ScriptLimitExceeded) already name
        # their element; they pass as they are, also when SpiffWorkflow wrapped one in its own.
        try:
            step()
        except EngineError:
            raise
        except SpiffWorkflowException as err:
            cause = err.__cause__ or err.__context__
            if isinstance(cause, EngineError):
                raise cause from None
            raise _failed(err) from None
        except RecursionError:
            raise ExecutionFailed("流程执行出错：任务树过深") from None
        except Exception as err:  # noqa: BLE001 - what a diagram makes SpiffWorkflow raise is a 422, never a 500
            raise _failed(err) from None

    def _apply_status(self, instance: InstanceRow, workflow, now) -> None:
        last = workflow.last_task or workflow.task_tree
        instance.data = json_safe(last.data)
        # SpiffWorkflow's own check walks the tree; a task not yet finished is found sooner in the table.
        if not workflow.completed and any(not t._state & TaskState.FINISHED_MASK for t in workflow.tasks.values()):
            return
        if workflow.is_completed():
            instance.status = "completed"
            instance.ended_at = now
            ends = completed_end_events(workflow)
            if ends:
                final = max(ends, key=lambda t: t.last_state_change)
                instance.end_event = final.task_spec.bpmn_id
                instance.data = json_safe(final.data)

    def _save(self, tx: Tx, instance: InstanceRow, workflow, now) -> None:
        """Write the workflow over the version it was loaded at. Raises StaleVersion if that moved on."""
        expected, status = instance.version, instance.status
        self._apply_status(instance, workflow, now)
        instance.state = self._dump(workflow)
        if instance.status == status:
            saved = tx.run(sql.SAVE_STEP, id=instance.id, expected=expected, state=instance.state,
                           version=expected + 1, data=instance.data, now=now)
        else:
            saved = tx.run(sql.SAVE_ENDED, id=instance.id, expected=expected, state=instance.state,
                           version=expected + 1, status=instance.status, end_event=instance.end_event,
                           data=instance.data, now=now, ended_at=instance.ended_at)
        if saved.rowcount != 1:
            raise StaleVersion(instance.id, expected, tx.scalar(sql.INSTANCE_VERSION, id=instance.id))
        instance.version = expected + 1
        tx.in_step(ProcessInstance, instance.id, {
            "version": instance.version, "status": instance.status, "end_event": instance.end_event,
            "data": instance.data, "updated_at": now, "ended_at": instance.ended_at, "state": instance.state})

    def _after_step(self, tx: Tx, instance: InstanceRow, workflow, actor, now,
                    before: Snapshot | None, events: list[dict], completed_guid: str | None = None,
                    recorded: set[str] = frozenset()) -> Outcome:
        """Bring the projections in step and write the action's events, in order, in one statement.

        With `before` (the loaded workflow's snapshot) the projections are not read back.
        """
        created = sync_human_tasks(tx, instance, workflow, self.assigner, now, actor, events, before,
                                   completed_guid)
        # Timers that came due while this action ran fired inside it: record them as the worker would.
        fired = fired_since(workflow, before) if before is not None else {}
        sync_timer_jobs(tx, instance, workflow, now, before, fired=set(fired))
        events += _timer_events(instance.id, {g: f for g, f in fired.items() if g not in recorded}, actor, now)
        if instance.status == "completed":
            events.append(store.event(instance.id, "instance_completed", actor, now, instance.end_event))
        tx.insert_events(events)
        return Outcome(instance.id, instance.version, instance.status, instance.end_event,
                       dict(instance.data or {}), created, fired_timers=[e for e, _d in fired.values()])


def _failed(err: BaseException) -> ExecutionFailed:
    """SpiffWorkflow's error (or whatever a diagram made it raise) in Chinese, naming the element."""
    problem = describe(err)
    return ExecutionFailed(f"流程执行出错：{problem.message}", problem.element_id)


def _timer_events(instance_id: int, fired: dict, actor, now) -> list[dict]:
    return [store.event(instance_id, "timer_fired", actor, now, element_id,
                        data={"due_at": due.isoformat() if due else None}) for element_id, due in fired.values()]
