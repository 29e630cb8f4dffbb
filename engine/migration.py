"""Moving running instances onto a newer version of their process.

An instance moves only when each of its current tasks (ready, waiting or started) still exists,
under the same id, in the new version. SpiffWorkflow's SpecDiff aligns the two specs and
``migrate_workflow`` re-points the tasks; we keep each waiting timer's computed due time, save
with the instance's optimistic version check, re-sync the inbox and due-job rows (an open task
that stayed takes the new version's name, lane and candidates) and append an ``instance_migrated``
event. Each instance moves inside a savepoint of its own: one that cannot
move (or was changed meanwhile) is reported and left exactly as it was.
"""

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import statements as sql
from . import store
from .errors import DefinitionNotFound
from .models import OPEN, RUNNING, HumanTask, ProcessDefinition, ProcessInstance
from .projection import ready_user_tasks, sync_human_tasks, sync_timer_jobs
from .state import SPEC_REGISTRY, dump_state, load_state

CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class CannotMigrate(Exception):
    """Why one instance stays on its version; the message is for people."""


@dataclass
class MigrationReport:
    target_id: int
    target_version: int
    moved: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"target_id": self.target_id, "target_version": self.target_version, "moved": self.moved,
                "skipped": [{"instance_id": k, "reason": v} for k, v in self.skipped.items()]}


def migrate_instances(engine, session: Session, target_id: int, instance_ids=None,
                      actor: str | None = None) -> MigrationReport:
    """Move running instances of the target's process (all, or those listed) onto version `target_id`.

    Raises DefinitionNotFound for an unknown target; every other failure is reported per instance.
    """
    target = session.get(ProcessDefinition, target_id)
    if target is None:
        raise DefinitionNotFound(str(target_id))
    query = select(ProcessInstance).where(ProcessInstance.process_key == target.key,
                                          ProcessInstance.status == RUNNING,
                                          ProcessInstance.definition_id != target.id)
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_([int(i) for i in instance_ids]))
    report = MigrationReport(target.id, target.version)
    for instance in session.scalars(query.order_by(ProcessInstance.id)).all():
        savepoint = session.begin_nested()
        try:
            _migrate_one(engine, session, instance, target, actor)
        except CannotMigrate as err:
            savepoint.rollback()
            report.skipped[instance.id] = str(err)
            continue
        savepoint.commit()
        report.moved.append(instance.id)
    if instance_ids is not None:
        for missing in {int(i) for i in instance_ids} - set(report.moved) - set(report.skipped):
            report.skipped[missing] = "实例不存在、已结束、属于其他流程或已在目标版本上"
    return report


def _migrate_one(engine, session: Session, instance: ProcessInstance, target: ProcessDefinition, actor) -> None:
    source = session.get(ProcessDefinition, instance.definition_id)
    expected = instance.version
    workflow = engine.load_workflow(session, instance.id)
    spec, subs = engine.specs.get(target.id, lambda: target.spec_json)
    _check_current_tasks(workflow, spec, subs)
    timers = {t.id: dict(t.internal_data) for t in workflow.get_tasks(state=TaskState.WAITING)}
    try:
        top_diff, sub_diffs = diff_workflow(SPEC_REGISTRY, workflow, spec, subs)
        for sub_id, sub_diff in sub_diffs.items():
            if sub_diff is None:
                raise CannotMigrate("子流程在新版本中已不存在")
            sub = workflow.subprocesses[sub_id]
            migrate_workflow(sub_diff, sub, subs[sub.spec.name])
        migrate_workflow(top_diff, workflow, spec)
    except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as err:
        raise CannotMigrate(f"无法对齐新旧版本：{err}") from None
    workflow.subprocess_specs = subs
    _restore_timers(workflow, timers)
    state = dump_state(workflow)
    try:  # what cannot be read back on the new version must not be saved
        load_state(state, spec, subs, engine.script_engine)
    except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as err:
        raise CannotMigrate(f"已完成的环节在新版本中已删除，无法迁移：{err}") from None
    now = engine.clock()
    moved = session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance.id, ProcessInstance.version == expected)
        .values(definition_id=target.id, state=state, version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise CannotMigrate("实例已被他人更新，本次未迁移，请稍后重试")
    session.expire(instance)
    tx = store.Tx(session)
    events = [store.event(instance.id, "instance_migrated", actor, now, data={
        "from_definition_id": source.id, "from_version": source.version,
        "to_definition_id": target.id, "to_version": target.version})]
    tx.run(sql.TOUCH_OPEN_TASKS, instance=instance.id, version=expected + 1)
    sync_human_tasks(tx, instance, workflow, engine.assigner, now, actor, events)
    _follow_new_version(session, instance, workflow, engine.assigner)
    sync_timer_jobs(tx, instance, workflow, now)
    tx.insert_events(events)


def _follow_new_version(session: Session, instance: ProcessInstance, workflow, assigner) -> None:
    """Open inbox rows of tasks that stayed take the new version's name, lane and candidates.

    A task whose lane changed is offered afresh to the new lane's candidates (its claim is dropped).
    """
    for task in ready_user_tasks(workflow):
        spec = task.task_spec
        who = assigner(session, spec.lane, spec.bpmn_id, instance.process_key, task.data)
        row = session.scalars(select(HumanTask).where(HumanTask.task_guid == str(task.id),
                                                      HumanTask.status == OPEN)).first()
        if row is None:
            continue
        values = {"name": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane, "title": who.title,
                  "candidate_unit": who.unit, "candidate_group": who.group, "candidate_role": who.role,
                  "candidate_user": who.user}
        if row.lane != spec.lane:
            values["assignee"] = None
        if any(getattr(row, column) != value for column, value in values.items()):
            session.execute(update(HumanTask).where(HumanTask.id == row.id).values(**values)
                            .execution_options(synchronize_session=False))


def _check_current_tasks(workflow, spec, subs) -> None:
    """Raises CannotMigrate naming each current task whose element is gone from the new version."""
    missing = []
    for task in workflow.get_tasks(state=CURRENT):
        owner = task.workflow.spec
        new_owner = spec if owner.name == workflow.spec.name else subs.get(owner.name)
        if new_owner is None or task.task_spec.name not in new_owner.task_specs:
            label = getattr(task.task_spec, "bpmn_name", None) or task.task_spec.name
            missing.append(f"{label}（{getattr(task.task_spec, 'bpmn_id', None) or task.task_spec.name}）")
        elif type(new_owner.task_specs[task.task_spec.name]) is not type(task.task_spec):
            missing.append(f"{task.task_spec.name}（类型已改变）")
    if missing:
        raise CannotMigrate("当前环节在新版本中不存在：" + "、".join(missing))


def _restore_timers(workflow, timers: dict) -> None:
    """Keep a waiting timer's due time: migrate_workflow resets it, which would restart a duration."""
    for task in workflow.get_tasks(state=TaskState.WAITING):
        saved = timers.get(task.id)
        if saved and "event_value" in saved:
            task.internal_data.update(saved)
