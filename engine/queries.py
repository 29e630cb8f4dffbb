"""Read-only questions about tasks and instances, answered from tables, never from saved state."""

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from .models import COMPLETED, OPEN, RUNNING, Event, HumanTask, ProcessDefinition, ProcessInstance


@dataclass(frozen=True)
class Actor:
    """A person as the inbox sees them: their login, units, groups and roles."""

    user: str
    units: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass
class TaskFilter:
    process_key: str | None = None
    overdue_before: object = None
    due_before: object = None
    limit: int = 20
    offset: int = 0
    extra: list = field(default_factory=list)


def _branches(actor: Actor) -> list:
    """Disjoint conditions, one per way a task can be the actor's, each a plain index range.

    A candidate column that is either empty or one of the actor's values becomes two branches
    rather than an OR, so that every branch is one equality-and-IS-NULL walk of one index.
    """
    free = HumanTask.assignee.is_(None)
    no_user = HumanTask.candidate_user.is_(None)

    def either(column, values) -> list:
        return [column.is_(None)] + ([column.in_(values)] if values else [])

    branches = [HumanTask.assignee == actor.user, and_(free, HumanTask.candidate_user == actor.user)]
    if actor.units:
        branches += [and_(HumanTask.candidate_unit.in_(actor.units), free, no_user, group, role)
                     for group in either(HumanTask.candidate_group, actor.groups)
                     for role in either(HumanTask.candidate_role, actor.roles)]
    if actor.groups:
        branches += [and_(HumanTask.candidate_group.in_(actor.groups), free, no_user,
                          HumanTask.candidate_unit.is_(None), role)
                     for role in either(HumanTask.candidate_role, actor.roles)]
    if actor.roles:
        branches.append(and_(HumanTask.candidate_role.in_(actor.roles), free, no_user,
                             HumanTask.candidate_unit.is_(None), HumanTask.candidate_group.is_(None)))
    return branches


def offered_to(actor: Actor):
    """The condition under which an open task is the actor's: assigned, or offered and matching."""
    return or_(*_branches(actor))


def open_task_ids(actor: Actor, flt: TaskFilter | None = None):
    """Ids of the actor's open tasks, as a subquery.

    Each branch is answered from its own index and the branches never overlap, so their ids are
    simply put together; one OR across them would make the planner read every open task.
    """
    flt = flt or TaskFilter()
    filters = [HumanTask.status == OPEN, *flt.extra]
    if flt.process_key:
        filters.append(HumanTask.process_key == flt.process_key)
    if flt.overdue_before is not None:
        filters.append(HumanTask.due_at < flt.overdue_before)
    if flt.due_before is not None:
        filters.append(HumanTask.due_at < flt.due_before)
    return union_all(*[select(HumanTask.id).where(branch, *filters) for branch in _branches(actor)]).subquery()


def open_tasks(session: Session, actor: Actor, flt: TaskFilter | None = None) -> list[HumanTask]:
    """The actor's 待办, oldest first, one page."""
    flt = flt or TaskFilter()
    ids = open_task_ids(actor, flt)
    page = select(ids.c.id).order_by(ids.c.id).limit(flt.limit).offset(flt.offset).subquery()
    return list(session.scalars(select(HumanTask).join(page, HumanTask.id == page.c.id).order_by(HumanTask.id)))


def count_open_tasks(session: Session, actor: Actor, flt: TaskFilter | None = None) -> int:
    return session.scalar(select(func.count()).select_from(open_task_ids(actor, flt))) or 0


def is_offered_to(session: Session, task_id: int, actor: Actor) -> bool:
    return session.scalar(select(HumanTask.id).where(HumanTask.id == task_id, offered_to(actor))) is not None


def done_tasks(session: Session, user: str, process_key: str | None = None, limit=20, offset=0):
    """The user's 已办, newest first."""
    query = select(HumanTask).where(HumanTask.completed_by == user, HumanTask.status == COMPLETED)
    if process_key:
        query = query.where(HumanTask.process_key == process_key)
    return list(session.scalars(query.order_by(HumanTask.completed_at.desc()).limit(limit).offset(offset)))


def started_by(session: Session, user: str, process_key: str | None = None, limit=20, offset=0,
               status: str | None = None):
    """Instances the user started (我发起的), newest first."""
    query = select(ProcessInstance).where(ProcessInstance.started_by == user)
    if status:
        query = query.where(ProcessInstance.status == status)
    if process_key:
        query = query.where(ProcessInstance.process_key == process_key)
    return list(session.scalars(query.order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)))


def instance_events(session: Session, instance_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id)))


def instance_tasks(session: Session, instance_id: int, status: str | None = "open") -> list[HumanTask]:
    query = select(HumanTask).where(HumanTask.instance_id == instance_id)
    if status:
        query = query.where(HumanTask.status == status)
    return list(session.scalars(query.order_by(HumanTask.id)))


def definitions(session: Session, key: str | None = None) -> list[ProcessDefinition]:
    query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    if key:
        query = query.where(ProcessDefinition.key == key)
    return list(session.scalars(query))


def instances_per_definition(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.status == RUNNING).group_by(ProcessInstance.definition_id)
    )
    return {definition_id: count for definition_id, count in rows}
