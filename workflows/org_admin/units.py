"""Units: list, read, add, change, deactivate and reactivate — each change one transaction."""

from dataclasses import dataclass, replace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import Unit, User
from ..organisation import UNIT_KINDS
from . import fields as f
from .access import authorise
from .edits import commit, not_found, person_ref, read
from .world import UnitSpec, World, load

LABELS = {"code": "编码", "name": "名称", "short_name": "简称", "kind": "类型", "head": "负责人",
          "active": "状态", "sort_order": "排序"}
KIND_ALIASES = {"国企": "soe", "乡镇": "street", "街道": "street", "垂直管理": "vertical", "区直单位": "bureau",
                "部门": "bureau", "营商办": "office", "督查": "inspection", "纪委监委": "discipline"}


@dataclass
class UnitFilter:
    q: str | None = None
    kind: str | None = None
    active: bool | None = None
    limit: int = 20
    offset: int = 0


def _filtered(flt: UnitFilter):
    query = select(Unit)
    if flt.q:
        like = f"%{flt.q}%"
        query = query.where(or_(Unit.code.ilike(like), Unit.name.ilike(like), Unit.short_name.ilike(like)))
    if flt.kind:
        query = query.where(Unit.kind == flt.kind)
    if flt.active is not None:
        query = query.where(Unit.active.is_(flt.active))
    return query


def list_units(session: Session, flt: UnitFilter) -> tuple[list[Unit], int, dict[str, int]]:
    """One page of units in their order, the total, and the active people of each unit on the page."""
    total = session.scalar(select(func.count()).select_from(_filtered(flt).subquery())) or 0
    rows = list(session.scalars(_filtered(flt).order_by(Unit.sort_order, Unit.kind, Unit.code)
                                .limit(flt.limit).offset(flt.offset)))
    counts = dict(session.execute(select(User.unit_code, func.count()).where(
        User.unit_code.in_([u.code for u in rows]), User.active.is_(True)).group_by(User.unit_code)).all())
    return rows, total, counts


def get_unit(session: Session, code: str) -> Unit:
    """Raises NotFound."""
    unit = session.get(Unit, code)
    if unit is None:
        raise not_found("单位", code)
    return unit


def read_unit(raw: dict, world: World, current: UnitSpec | None, people_by: str = "username"):
    """The unit `raw` describes (fields it leaves out stay as in `current`), and errors by field."""
    errors: dict[str, str] = {}
    code = current.code if current else read(errors, raw, None, "code", f.code)
    spec = UnitSpec(
        code=code or "",
        name=read(errors, raw, current, "name", f.text, True, 100) or "",
        short_name=read(errors, raw, current, "short_name", f.text, False, 50),
        kind=read(errors, raw, current, "kind", f.choice, UNIT_KINDS, "单位类型", KIND_ALIASES) or "",
        head=read(errors, raw, current, "head", person_ref, world, people_by),
        active=read(errors, raw, current, "active", f.flag),
        sort_order=read(errors, raw, current, "sort_order", f.number),
    )
    return spec, errors


def create_unit(platform, session: Session, by: str, raw: dict, people_by: str = "username") -> UnitSpec:
    """Add a unit. Raises PermissionDenied, or OrgInvalid with every problem by field."""
    authorise(session, by)
    before = load(session, for_change=True)
    spec, errors = read_unit(raw, before, None, people_by)
    if spec.code in before.units:
        errors.setdefault("code", f"编码 {spec.code} 已被单位“{before.units[spec.code].name}”使用")
    after = before.copy()
    after.units[spec.code] = spec
    commit(platform, session, by, before, after, "unit", spec.code, errors, LABELS)
    return spec


def update_unit(platform, session: Session, by: str, code: str, raw: dict, people_by: str = "username") -> UnitSpec:
    """Change the fields `raw` gives. Raises PermissionDenied, NotFound, or OrgInvalid by field."""
    authorise(session, by)
    before = load(session, for_change=True)
    if code not in before.units:
        raise not_found("单位", code)
    spec, errors = read_unit(raw, before, before.units[code], people_by)
    after = before.copy()
    after.units[code] = spec
    commit(platform, session, by, before, after, "unit", code, errors, LABELS)
    return spec


def set_unit_active(platform, session: Session, by: str, code: str, active: bool) -> UnitSpec:
    """停用 or 启用 a unit. Raises PermissionDenied, NotFound, or OrgInvalid (people still in it …)."""
    return update_unit(platform, session, by, code, {"active": active})


def unit_json(spec: UnitSpec | Unit) -> dict:
    return {"code": spec.code, "name": spec.name, "short_name": spec.short_name, "kind": spec.kind,
            "kind_label": UNIT_KINDS.get(spec.kind, spec.kind), "head": spec.head, "active": bool(spec.active),
            "sort_order": spec.sort_order or 0}


def as_spec(unit: Unit) -> UnitSpec:
    return replace(UnitSpec(unit.code, unit.name, unit.kind), short_name=unit.short_name, head=unit.head,
                   active=bool(unit.active), sort_order=unit.sort_order or 0)
