"""Groups (领导小组, 专题组, 指标组, 专项行动组): list, read, add, change — each change one transaction.

A group's 组长 is its `leader`; that person holds the group_leader role within the group (which
the group_leader lane asks for) exactly while they lead it.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import Group, GroupMember
from ..organisation import GROUP_KINDS
from . import fields as f
from .access import authorise
from .edits import commit, not_found, person_ref, read
from .world import GroupSpec, World, load

LABELS = {"code": "编码", "name": "名称", "kind": "类型", "lead_unit": "牵头单位", "leader": "组长",
          "members": "成员单位", "active": "状态", "sort_order": "排序"}
KIND_ALIASES = {"指标组": "indicator", "专班": "indicator", "指标专班": "indicator", "专项行动": "special_action"}


@dataclass
class GroupFilter:
    q: str | None = None
    kind: str | None = None
    unit: str | None = None  # groups this unit leads or belongs to
    active: bool | None = None
    limit: int = 20
    offset: int = 0


def _filtered(flt: GroupFilter):
    query = select(Group)
    if flt.q:
        like = f"%{flt.q}%"
        query = query.where(or_(Group.code.ilike(like), Group.name.ilike(like)))
    if flt.kind:
        query = query.where(Group.kind == flt.kind)
    if flt.unit:
        member = select(GroupMember.group_code).where(GroupMember.unit_code == flt.unit)
        query = query.where(or_(Group.lead_unit == flt.unit, Group.code.in_(member)))
    if flt.active is not None:
        query = query.where(Group.active.is_(flt.active))
    return query


def list_groups(session: Session, flt: GroupFilter) -> tuple[list[Group], int, dict[str, list[str]]]:
    """One page of groups in their order, the total, and the member units of each group on the page."""
    total = session.scalar(select(func.count()).select_from(_filtered(flt).subquery())) or 0
    rows = list(session.scalars(_filtered(flt).order_by(Group.sort_order, Group.kind, Group.code)
                                .limit(flt.limit).offset(flt.offset)))
    members: dict[str, list[str]] = {}
    for group_code, unit_code in session.execute(select(GroupMember.group_code, GroupMember.unit_code).where(
            GroupMember.group_code.in_([g.code for g in rows])).order_by(GroupMember.unit_code)):
        members.setdefault(group_code, []).append(unit_code)
    return rows, total, members


def get_group(session: Session, code: str) -> tuple[Group, list[str]]:
    """The group and its member units. Raises NotFound."""
    group = session.get(Group, code)
    if group is None:
        raise not_found("工作组", code)
    members = list(session.scalars(select(GroupMember.unit_code).where(GroupMember.group_code == code)
                                   .order_by(GroupMember.unit_code)))
    return group, members


def _units(value, world: World) -> tuple[str, ...]:
    codes = [f.code(c) for c in f.items(value)]
    unknown = [c for c in codes if c not in world.units]
    if unknown:
        raise f.FieldError(f"单位不存在：{f.some(unknown)}")
    return tuple(sorted(set(codes)))


def _unit(value, world: World) -> str | None:
    code = f.code(value)
    if code not in world.units:
        raise f.FieldError(f"单位 {code} 不存在")
    return code


def read_group(raw: dict, world: World, current: GroupSpec | None, people_by: str = "username"):
    """The group `raw` describes (fields it leaves out stay as in `current`), and errors by field."""
    errors: dict[str, str] = {}
    code = current.code if current else read(errors, raw, None, "code", f.code)
    spec = GroupSpec(
        code=code or "",
        name=read(errors, raw, current, "name", f.text, True, 100) or "",
        kind=read(errors, raw, current, "kind", f.choice, GROUP_KINDS, "工作组类型", KIND_ALIASES) or "",
        lead_unit=read(errors, raw, current, "lead_unit", _unit, world) or "",
        leader=read(errors, raw, current, "leader", person_ref, world, people_by),
        members=read(errors, raw, current, "members", _units, world) or (),
        active=read(errors, raw, current, "active", f.flag),
        sort_order=read(errors, raw, current, "sort_order", f.number),
    )
    return spec, errors


def _save(platform, session, by: str, before: World, spec: GroupSpec, errors: dict) -> GroupSpec:
    after = before.copy()
    after.groups[spec.code] = spec
    commit(platform, session, by, before, after.with_leaders([spec.code]), "group", spec.code, errors, LABELS)
    return spec


def create_group(platform, session: Session, by: str, raw: dict, people_by: str = "username") -> GroupSpec:
    """Add a group. Raises PermissionDenied, or OrgInvalid with every problem by field."""
    authorise(session, by)
    before = load(session, for_change=True)
    spec, errors = read_group(raw, before, None, people_by)
    if spec.code in before.groups:
        errors.setdefault("code", f"编码 {spec.code} 已被工作组“{before.groups[spec.code].name}”使用")
    return _save(platform, session, by, before, spec, errors)


def update_group(platform, session: Session, by: str, code: str, raw: dict,
                 people_by: str = "username") -> GroupSpec:
    """Change the fields `raw` gives. Raises PermissionDenied, NotFound, or OrgInvalid by field."""
    authorise(session, by)
    before = load(session, for_change=True)
    if code not in before.groups:
        raise not_found("工作组", code)
    spec, errors = read_group(raw, before, before.groups[code], people_by)
    return _save(platform, session, by, before, spec, errors)


def group_json(group: Group | GroupSpec, members: list[str] | tuple[str, ...]) -> dict:
    return {"code": group.code, "name": group.name, "kind": group.kind,
            "kind_label": GROUP_KINDS.get(group.kind, group.kind), "lead_unit": group.lead_unit,
            "leader": group.leader, "members": list(members), "active": bool(group.active),
            "sort_order": group.sort_order or 0}
