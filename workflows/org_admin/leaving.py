"""停用 and 调动: a person leaves or moves, and hands over their open tasks in the same transaction.

A person who leaves stops heading their unit and leading their groups (the places are left
empty, and the page says so); a person who moves stops heading the unit they leave.
"""

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from engine.models import HumanTask

from . import fields as f
from .access import authorise
from .edits import OrgInvalid, commit, not_found
from .handover import KEEP, Plan, default_choice, held_tasks
from .people import LABELS
from .world import PersonSpec, World, load

MAX_TASK_ID = 2**31 - 1  # the databases' ids are 32-bit


@dataclass
class Departure:
    """What the handover page shows: the person, their open tasks, colleagues, and what will be left empty."""

    person: PersonSpec
    tasks: list[HumanTask]
    defaults: dict[int, str]  # task id → the choice made when the admin picks none
    colleagues: list[PersonSpec]  # active people, the same unit first
    vacated: list[str]  # 区政数局 负责人, 开办企业指标组 组长 …


def departure(session: Session, by: str, username: str, leaving: bool) -> Departure:
    """Everything the admin sees before a person leaves (`leaving`) or moves. Raises PermissionDenied, NotFound."""
    authorise(session, by)
    world = load(session)
    person = world.people.get(username)
    if person is None:
        raise not_found("人员", username)
    tasks = held_tasks(session, username)
    colleagues = sorted((p for p in world.people.values() if p.active and p.username != username),
                        key=lambda p: (p.unit != person.unit, p.unit, p.name, p.login))
    return Departure(person, tasks, {t.id: default_choice(t, username, leaving) for t in tasks}, colleagues,
                     _vacated(world, person, leaving))


def _vacated(world: World, person: PersonSpec, leaving: bool) -> list[str]:
    places = [f"{u.name} 负责人" for u in world.units.values() if u.head == person.username and
              (leaving or u.code == person.unit)]
    if leaving:
        places += [f"{g.name} 组长" for g in world.groups.values() if g.leader == person.username]
    return sorted(places)


def _without(world: World, person: PersonSpec, leaving: bool) -> World:
    """`world` with the places `person` leaves empty."""
    after = world.copy()
    for code, unit in world.units.items():
        if unit.head == person.username and (leaving or unit.code == person.unit):
            after.units[code] = replace(unit, head=None)
    if leaving:
        led = [code for code, group in world.groups.items() if group.leader == person.username]
        for code in led:
            after.groups[code] = replace(world.groups[code], leader=None)
        return after.with_leaders(led)
    return after


def read_plan(raw_choices: dict, raw_default=None) -> Plan:
    """A handover plan from `{task id: "pool" | "keep" | username}` and a default. Raises OrgInvalid."""
    choices, errors = {}, {}
    for key, value in (raw_choices or {}).items():
        digits = str(key).removeprefix("task-")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 10 and 0 < int(digits) <= MAX_TASK_ID):
            errors["handovers"] = f"任务编号 {str(key)[:40]} 无效"
            continue
        task_id = int(digits)
        if not isinstance(value, str | type(None)):
            errors[f"task-{task_id}"] = f"任务 {task_id}：交接方式须为 pool、keep 或人员的用户名"
        elif value.strip():
            choices[task_id] = value.strip()
    if not isinstance(raw_default, str | type(None)):
        errors["default"] = "统一交接方式须为 pool、keep 或人员的用户名"
    if errors:
        raise OrgInvalid(errors, {"handovers": "交接", "default": "统一交接"})
    return Plan(choices, (raw_default or "").strip() or None)


def deactivate_person(platform, session: Session, by: str, username: str, plan: Plan | None = None) -> list:
    """停用 a person and hand over every task they hold; returns the reassignments made.

    Raises PermissionDenied, NotFound, OrgInvalid (the last admin, oneself, a handover that
    cannot be followed), or the engine's Conflict when a task changed meanwhile.
    """
    authorise(session, by)
    before = load(session, for_change=True)
    person = before.people.get(username)
    if person is None:
        raise not_found("人员", username)
    errors = {}
    if not person.active:
        errors["active"] = "该人员已停用"
    if username == by:
        errors["active"] = "不能停用自己的账号"
    if plan and plan.default == KEEP:
        errors["handovers"] = "停用的人员不能保留待办"
    after = _without(before, person, leaving=True)
    after.people[username] = replace(after.people[username], active=False)
    return commit(platform, session, by, before, after, "person", username, errors, LABELS,
                  plans={username: plan}).reassigned


def move_person(platform, session: Session, by: str, username: str, unit, plan: Plan | None = None) -> list:
    """调动 a person to `unit`, handing over the tasks the plan says (by default: those of the old unit's pool).

    Raises PermissionDenied, NotFound, OrgInvalid (an unknown, inactive or the same unit, a
    handover that cannot be followed), or the engine's Conflict.
    """
    authorise(session, by)
    before = load(session, for_change=True)
    person = before.people.get(username)
    if person is None:
        raise not_found("人员", username)
    errors = {}
    try:
        code = f.code(unit)
    except f.FieldError as err:
        errors["unit"], code = err.message, person.unit
    if not errors and code not in before.units:
        errors["unit"] = f"单位 {code} 不存在"
    elif not errors and code == person.unit:
        errors["unit"] = "已在该单位"
    after = _without(before, person, leaving=False)
    after.people[username] = replace(after.people[username], unit=code)
    return commit(platform, session, by, before, after, "person", username, errors, LABELS,
                  plans={username: plan}).reassigned
