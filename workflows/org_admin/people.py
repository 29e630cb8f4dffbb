"""People: list, read, add, change, rename, delete, and reactivate — each change one transaction.

Leaving and moving, which hand over open tasks, are in org_admin.leaving. A person's `username`
never changes; renaming changes the `login` they sign in with (and ends their API tokens).
"""

from dataclasses import dataclass, replace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..models import User, UserRole
from ..organisation import GROUP_ROLES, ROLE_LABELS, SYSTEM
from . import fields as f
from .access import authorise
from .apply import Passwords
from .edits import OrgInvalid, commit, not_found, read
from .history import traces
from .world import PersonSpec, World, load

LABELS = {"login": "账号", "name": "姓名", "unit": "单位", "phone": "电话", "email": "邮箱", "roles": "角色",
          "member_of": "工作组", "active": "状态", "password": "初始密码"}
# Roles a person is given directly; group roles come with a group (组长 from the group's leader).
PERSON_ROLES = {k: v for k, v in ROLE_LABELS.items() if k not in GROUP_ROLES}
MIN_PASSWORD = 8
MAX_PASSWORD = 128


@dataclass
class PersonFilter:
    q: str | None = None
    unit: str | None = None
    role: str | None = None
    group: str | None = None
    active: bool | None = None
    limit: int = 20
    offset: int = 0


def _filtered(flt: PersonFilter):
    query = select(User)
    if flt.q:
        like = f"%{flt.q}%"
        query = query.where(or_(User.login.ilike(like), User.name.ilike(like), User.phone.ilike(like),
                                User.email.ilike(like)))
    if flt.unit:
        query = query.where(User.unit_code == flt.unit)
    if flt.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == flt.role)))
    if flt.group:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.group_code == flt.group)))
    if flt.active is not None:
        query = query.where(User.active.is_(flt.active))
    return query


def list_people(session: Session, flt: PersonFilter) -> tuple[list[User], int]:
    """One page of people by unit and name, and the total."""
    total = session.scalar(select(func.count()).select_from(_filtered(flt).subquery())) or 0
    rows = session.scalars(_filtered(flt).order_by(User.unit_code, User.name, User.id).limit(flt.limit)
                           .offset(flt.offset))
    return list(rows), total


def get_person(session: Session, username: str) -> User:
    """Raises NotFound."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise not_found("人员", username)
    return user


def _login(value) -> str:
    clean = f.login(value)
    if clean == SYSTEM:
        raise f.FieldError(f"账号 {SYSTEM} 为系统保留")
    return clean


def _unit(value, world: World) -> str:
    code = f.code(value)
    if code not in world.units:
        raise f.FieldError(f"单位 {code} 不存在")
    return code


def _groups(value, world: World) -> tuple[str, ...]:
    names = {g.name: g.code for g in world.groups.values()}
    found, unknown = [], []
    for part in f.items(value):
        code = part if part in world.groups else names.get(part)
        (found if code else unknown).append(code or part)
    if unknown:
        raise f.FieldError(f"工作组不存在：{f.some(unknown)}")
    return tuple(sorted(set(found)))


def _roles(value) -> tuple[str, ...]:
    return tuple(sorted(f.choices(value, PERSON_ROLES, "角色")))


def password_problem(password: str | None) -> str | None:
    """Why `password` cannot be a person's password, or None. The one place this rule is written."""
    if password is not None and len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 位"
    if password is not None and len(password) > MAX_PASSWORD:
        return f"密码不能超过 {MAX_PASSWORD} 位"
    return None


def read_person(raw: dict, world: World, current: PersonSpec | None):
    """The person `raw` describes (fields it leaves out stay as in `current`), and errors by field.

    The unit, the login and being active are not changed here: see move, rename, deactivate.
    """
    errors: dict[str, str] = {}
    spec = PersonSpec(
        username=current.username if current else "",
        login=current.login if current else (read(errors, raw, None, "login", _login) or ""),
        name=read(errors, raw, current, "name", f.text, True, 100) or "",
        unit=current.unit if current else (read(errors, raw, None, "unit", _unit, world) or ""),
        phone=read(errors, raw, current, "phone", f.phone),
        email=read(errors, raw, current, "email", f.email),
        active=current.active if current else True,
        roles=read(errors, raw, current, "roles", _roles) or (),
        member_of=read(errors, raw, current, "member_of", _groups, world) or (),
        led=current.led if current else (),
    )
    return spec, errors


def free_username(world: World, login: str) -> str:
    """`login`, or `login_2`, `login_3` … when a person (perhaps renamed or deleted) had it before."""
    candidate, n = login, 1
    while candidate in world.people:
        n += 1
        candidate = f"{login}_{n}"
    return candidate


def create_person(platform, session: Session, by: str, raw: dict) -> PersonSpec:
    """Add a person, with the initial password in `raw["password"]` (without one they cannot sign in yet).

    Raises PermissionDenied, or OrgInvalid with every problem by field.
    """
    authorise(session, by)
    before = load(session, for_change=True)
    spec, errors = read_person(raw, before, None)
    spec = replace(spec, username=free_username(before, spec.login))
    password = raw.get("password") or None
    if password_problem(password):
        errors["password"] = password_problem(password)
    after = before.copy()
    after.people[spec.username] = spec
    hashes = {spec.username: generate_password_hash(password)} if password and not errors else {}
    commit(platform, session, by, before, after, "person", spec.username, errors, LABELS,
           passwords=Passwords(hashes))
    return spec


def _existing(session: Session, username: str) -> tuple[World, PersonSpec]:
    world = load(session, for_change=True)
    if username not in world.people:
        raise not_found("人员", username)
    return world, world.people[username]


def update_person(platform, session: Session, by: str, username: str, raw: dict) -> PersonSpec:
    """Change name, phone, e-mail, roles and group memberships. Raises PermissionDenied, NotFound, OrgInvalid."""
    authorise(session, by)
    before, current = _existing(session, username)
    spec, errors = read_person(raw, before, current)
    for moved in ("unit", "login", "active"):
        if moved in raw and raw[moved] != getattr(current, moved):
            errors.setdefault(moved, {"unit": "调整单位请用“调动”，以便交接待办", "login": "修改账号请用“改名”",
                                      "active": "停用请用“停用”，以便交接待办；启用请用“启用”"}[moved])
    after = before.copy()
    after.people[username] = spec
    commit(platform, session, by, before, after, "person", username, errors, LABELS)
    return spec


def rename_person(platform, session: Session, by: str, username: str, new_login) -> PersonSpec:
    """Give a person a new login; the old one stops working, and so do their API tokens.

    Raises PermissionDenied, NotFound, or OrgInvalid (a login taken or malformed).
    """
    authorise(session, by)
    before, current = _existing(session, username)
    errors = {}
    try:
        login = _login(new_login)
    except f.FieldError as err:
        errors["login"], login = err.message, current.login
    after = before.copy()
    after.people[username] = replace(current, login=login)
    commit(platform, session, by, before, after, "person", username, errors, LABELS)
    return after.people[username]


def set_password(platform, session: Session, by: str, username: str, password: str) -> None:
    """Set a person's password (the command line's way to let an imported person sign in).

    Raises PermissionDenied, NotFound, or OrgInvalid for a password the rule refuses.
    """
    authorise(session, by)
    problem = password_problem(password or "")
    if problem:
        raise OrgInvalid({"password": problem}, LABELS)
    get_person(session, username).password_hash = generate_password_hash(password)


def activate_person(platform, session: Session, by: str, username: str) -> PersonSpec:
    """启用 a deactivated person again. Raises PermissionDenied, NotFound, OrgInvalid (their unit is inactive)."""
    authorise(session, by)
    before, current = _existing(session, username)
    after = before.copy()
    after.people[username] = replace(current, active=True)
    commit(platform, session, by, before, after, "person", username, {}, LABELS)
    return after.people[username]


def delete_person(platform, session: Session, by: str, username: str) -> None:
    """Delete a person who left no trace (added by mistake); anyone else is deactivated instead.

    Raises PermissionDenied, NotFound, or OrgInvalid naming their traces or what still names them.
    """
    authorise(session, by)
    before, current = _existing(session, username)
    left = traces(session, username)
    if username == by:
        raise OrgInvalid({"username": "不能删除自己的账号"}, {"username": "人员"})
    if left:
        raise OrgInvalid({"username": f"该人员已有办理记录（{'、'.join(left)}），不能删除，请改为停用"},
                         {"username": "人员"})
    after = before.copy()
    del after.people[username]
    commit(platform, session, by, before, after, "person", username, {}, LABELS)


def person_json(user: User) -> dict:
    return {"username": user.username, "login": user.login, "name": user.name, "unit": user.unit_code,
            "phone": user.phone, "email": user.email, "active": bool(user.active),
            "roles": sorted({r.role for r in user.roles if r.group_code is None and r.role not in GROUP_ROLES}),
            "member_of": sorted({r.group_code for r in user.roles if r.role == "group_member" and r.group_code}),
            "leads": sorted({r.group_code for r in user.roles if r.role == "group_leader" and r.group_code})}
