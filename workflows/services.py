"""The actions people take, each one transaction: start a process, claim and complete a task."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, InstanceNotFound, Outcome, TaskAlreadyDone, TaskClaimedByOther, TaskNotFound
from engine.definitions import latest_definition
from engine.models import HumanTask, ProcessDefinition, ProcessInstance

from . import forms, policy, rectification  # noqa: F401 - registers the shipped processes' hooks
from .calendar import LOCAL_TZ
from .calendar_overrides import with_calendar
from .errors import PermissionDenied
from .hooks import hooks_for
from .models import User
from .organisation import actor_for, form_options, require_user, user_names


def may_act(task: HumanTask, actor: Actor) -> bool:
    """Whether the task is the actor's: assigned to them, or offered to someone like them."""
    if task.assignee == actor.user or task.completed_by == actor.user:
        return True
    wanted = [task.candidate_user, task.candidate_unit, task.candidate_group, task.candidate_role]
    if all(w is None for w in wanted):
        return False
    return ((task.candidate_user is None or task.candidate_user == actor.user)
            and (task.candidate_unit is None or task.candidate_unit in actor.units)
            and (task.candidate_group is None or task.candidate_group in actor.groups)
            and (task.candidate_role is None or task.candidate_role in actor.roles))


def form_schema(session: Session, definition: ProcessDefinition, element_id: str) -> dict:
    """The expanded form of `element_id` in that definition version; empty when it has none."""
    schema = (definition.forms or {}).get(element_id)
    if schema is None:
        return {"type": "object", "properties": {}, "additionalProperties": False}
    return forms.expand(schema, form_options(session))


def start_form(session: Session, process_key: str) -> tuple[ProcessDefinition, dict]:
    definition = latest_definition(session, process_key)
    return definition, form_schema(session, definition, forms.START_FORM)


@with_calendar
def start_process(platform, session: Session, username: str, process_key: str, data: dict) -> Outcome:
    """Start `process_key` with the start form's data.

    Raises PermissionDenied, FormInvalid, DefinitionNotFound, or the engine's execution errors.
    """
    user = require_user(session, username)
    hooks = hooks_for(process_key)
    hooks.check_starter(session, user)
    _definition, schema = start_form(session, process_key)
    clean = forms.validate(schema, data)
    clean = hooks.before_start(platform, session, user, dict(clean))
    outcome = platform.engine.start(session, process_key, clean, user.username)
    hooks.after_start(platform, session, user, outcome)
    if outcome.fired_timers:
        hooks.after_timers(platform, session, outcome)
    return outcome


@dataclass
class TaskView:
    task: HumanTask
    instance: ProcessInstance
    definition: ProcessDefinition
    schema: dict


def load_task(session: Session, username: str, task_id) -> tuple[User, TaskView]:
    """A task the user may see, with its instance and expanded form.

    Raises TaskNotFound, or PermissionDenied for a task that is not theirs.
    """
    user = require_user(session, username)
    try:
        task = session.get(HumanTask, int(task_id))
    except (TypeError, ValueError):
        task = None
    if task is None:
        raise TaskNotFound(task_id)
    if not may_act(task, actor_for(session, user)):
        raise PermissionDenied("无权查看或办理该任务")
    instance = session.get(ProcessInstance, task.instance_id)
    definition = session.get(ProcessDefinition, instance.definition_id)
    return user, TaskView(task, instance, definition, form_schema(session, definition, task.element_id))


@with_calendar
def complete_task(platform, session: Session, username: str, task_id, data: dict,
                  expected_version: int | None = None) -> Outcome:
    """Complete a task with its form's data; the form's ``opinion`` field becomes the 审批意见.

    Raises TaskNotFound, PermissionDenied, TaskClaimedByOther, TaskAlreadyDone, StaleVersion,
    FormInvalid, or the engine's execution errors. Nothing is written when any is raised.
    """
    user, view = load_task(session, username, task_id)
    task = view.task
    if task.status == "open" and task.assignee and task.assignee != user.username:
        raise TaskClaimedByOther(task.id, task.assignee)
    clean = forms.validate(view.schema, data) if task.status == "open" else data
    hooks = hooks_for(task.process_key)
    if task.status == "open":
        clean = hooks.before_complete(platform, session, user, task, dict(clean))
    try:
        outcome = platform.engine.complete(session, task.id, user.username, clean,
                                           opinion=clean.get("opinion"), expected_version=expected_version)
    except TaskAlreadyDone as err:
        # Say who did it by name, as people know each other.
        local = err.at.astimezone(LOCAL_TZ) if err.at else None
        raise TaskAlreadyDone(err.task_id, user_names(session).get(err.by, err.by), local) from None
    hooks.after_complete(platform, session, user, task, clean, outcome)
    if outcome.fired_timers:
        hooks.after_timers(platform, session, outcome)
    return outcome


def claim_task(platform, session: Session, username: str, task_id, expected_version: int | None = None) -> HumanTask:
    """Take an offered task, seen at `expected_version` when given.

    Raises TaskNotFound, PermissionDenied, TaskClaimedByOther, TaskAlreadyDone or StaleVersion.
    """
    user, view = load_task(session, username, task_id)
    return platform.engine.claim(session, view.task.id, user.username, expected_version)


def instance_for(session: Session, username: str, instance_id: int) -> ProcessInstance:
    """An instance the user took part in, may act on, or oversees.

    Raises InstanceNotFound for an unknown id and PermissionDenied for someone else's instance.
    """
    user = require_user(session, username)
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise InstanceNotFound(instance_id)
    if instance.started_by == user.username or {"admin", "office"} & {r.role for r in user.roles}:
        return instance
    actor = actor_for(session, user)
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))
    if any(may_act(t, actor) for t in tasks):
        return instance
    case = session.scalars(select(rectification.RectificationCase)
                           .where(rectification.RectificationCase.instance_id == instance_id)).first()
    if case is not None and rectification.may_see_case(user, case):
        return instance
    raise PermissionDenied("无权查看该流程实例")


def ensure(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)
