"""People who leave or move: their open tasks and claims, and handing each one over.

A person holds a task when they claimed it (its assignee) or when it was offered to them
personally (its candidate user). Leaving, every such task goes to a named colleague or back to
the pool — the unit that offered it, or the person's unit for a task offered to them alone — so
nothing stays with an inactive account. Moving, a task may also stay with the person. Each
handover is an engine reassignment with its `task_reassigned` event on the instance's timeline.
"""

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.models import OPEN, HumanTask

from ..errors import FormInvalid
from .fields import some

POOL, KEEP = "pool", "keep"


@dataclass
class Plan:
    """Where each held task goes: task id → POOL, KEEP or a colleague's username; `default` for the rest."""

    choices: dict[int, str] = field(default_factory=dict)
    default: str | None = None


def held_tasks(session: Session, username: str) -> list[HumanTask]:
    """The open tasks `username` claimed or was offered personally, oldest first."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.status == OPEN,
        or_(HumanTask.assignee == username, HumanTask.candidate_user == username)).order_by(HumanTask.id)))


def default_choice(task: HumanTask, username: str, leaving: bool) -> str:
    """Leaving, everything goes back to the pool; moving, only what came from the old unit's pool."""
    if leaving or task.candidate_user != username:
        return POOL
    return KEEP


def check_plan(session: Session, world, person, leaving: bool, plan: Plan | None) -> list[tuple[HumanTask, str]]:
    """The choice for every task the person holds now, each checked against `world` (as it will be).

    Raises FormInvalid naming the task whose choice cannot be followed.
    """
    plan = plan or Plan()
    errors, resolved = {}, []
    held = held_tasks(session, person.username)
    # A choice for a task they no longer hold (finished or handed over meanwhile, or a mistyped id)
    # would be dropped silently, and the task meant would follow the default instead.
    stale = sorted(set(plan.choices) - {t.id for t in held})
    if stale:
        errors["handovers"] = f"任务 {some(stale)} 不在该人员的待办中（可能已办结或已转交），请核对后重新提交"
    for task in held:
        choice = plan.choices.get(task.id) or plan.default or default_choice(task, person.username, leaving)
        resolved.append((task, choice))
        if choice == KEEP and leaving:
            errors[f"task-{task.id}"] = f"任务 {task.id}：停用的人员不能保留待办，请转交或退回"
        elif choice not in (POOL, KEEP):
            colleague = world.people.get(choice)
            if colleague is None or not colleague.active:
                errors[f"task-{task.id}"] = f"任务 {task.id}：转交对象 {choice} 不存在或已停用"
            elif colleague.username == person.username:
                errors[f"task-{task.id}"] = f"任务 {task.id}：不能转交给本人"
    if errors:
        raise FormInvalid(errors)
    return resolved


def carry_out(platform, session: Session, by: str, before, after, old, new, plan: Plan | None) -> list:
    """Hand over every task `old` holds as `plan` says, for the change from `old` to `new`.

    Raises FormInvalid (a choice that cannot be followed), or the engine's Conflict when a task
    was claimed or completed meanwhile.
    """
    leaving = not new.active
    choices = check_plan(session, after, old, leaving, plan)
    why = f"{old.name}已停用" if leaving else f"{old.name}调至{_unit_name(after, new.unit)}"
    done = []
    for task, choice in choices:
        if choice == KEEP:
            continue
        if choice == POOL:
            personal = task.candidate_user == old.username and not (task.candidate_unit or task.candidate_group
                                                                     or task.candidate_role)
            pool = _unit_name(before, old.unit) if personal else _unit_name(before, task.candidate_unit) or ""
            reason = f"{why}，退回{pool}待签收"
            done.append(platform.engine.reassign(session, task.id, by, None, pool_unit=old.unit, reason=reason))
        else:
            reason = f"{why}，转交{after.people[choice].name}"
            done.append(platform.engine.reassign(session, task.id, by, choice, reason=reason))
    return done


def _unit_name(world, code: str | None) -> str | None:
    unit = world.units.get(code) if code else None
    return unit.name if unit else code
