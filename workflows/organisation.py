"""The organisation: loading units, groups and people, and answering who someone is."""

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import Actor

from . import seed_data
from .errors import PermissionDenied
from .models import Group, GroupMember, Unit, User, UserRole

RESPONSIBLE_KINDS = ("bureau", "street")
ROLE_LABELS = {
    "admin": "系统管理员",
    "office": "领导小组办公室",
    "group_leader": "组长",
    "drafter": "起草人",
    "unit_head": "单位负责人",
    "unit_staff": "单位工作人员",
    "inspector": "督查人员",
    "legality_reviewer": "合法性审核",
    "competition_reviewer": "公平竞争审查",
    "discipline": "纪委监委",
}


def load_organisation(session: Session) -> None:
    """Insert the seeds' units and groups; rows that exist already are left as they are."""
    for unit in seed_data.UNITS:
        if session.get(Unit, unit["code"]) is None:
            session.add(Unit(code=unit["code"], name=unit["name"], kind=unit["kind"]))
    session.flush()
    for group in seed_data.GROUPS:
        if session.get(Group, group["code"]) is None:
            session.add(Group(code=group["code"], name=group["name"], kind=group["kind"],
                              lead_unit=group["lead_unit"], leader=group["leader"]["username"]))
            session.flush()
            for unit_code in dict.fromkeys([group["lead_unit"], *group["members"]]):
                session.add(GroupMember(group_code=group["code"], unit_code=unit_code))
    session.flush()


def create_user(session: Session, username: str, name: str, unit: str, password: str,
                roles: list[str], groups: list[str] = ()) -> User:
    """Add a person with hashed password; group roles (组长) are tied to each listed group."""
    user = User(username=username, name=name, unit_code=unit, password_hash=generate_password_hash(password))
    for role in roles:
        if role == "group_leader" and groups:
            user.roles.extend(UserRole(role=role, group_code=g) for g in groups)
        else:
            user.roles.append(UserRole(role=role))
    session.add(user)
    session.flush()
    return user


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = user_by_name(session, username)
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def require_user(session: Session, username: str) -> User:
    """The active user called `username`. Raises PermissionDenied for an unknown or inactive one."""
    user = user_by_name(session, username)
    if user is None or not user.active:
        raise PermissionDenied(f"用户 {username} 不存在或已停用")
    return user


def roles_of(user: User) -> set[str]:
    return {r.role for r in user.roles}


def groups_of(session: Session, user: User) -> tuple[str, ...]:
    """Groups the person leads, and groups whose lead unit or members include their unit."""
    led = {r.group_code for r in user.roles if r.group_code}
    member = session.scalars(select(GroupMember.group_code).where(GroupMember.unit_code == user.unit_code))
    return tuple(sorted(led | set(member)))


def actor_for(session: Session, user: User) -> Actor:
    """How the inbox sees the person. A group role counts only inside its group."""
    led = tuple(sorted({r.group_code for r in user.roles if r.role == "group_leader" and r.group_code}))
    return Actor(user=user.username, units=(user.unit_code,), groups=led,
                 roles=tuple(sorted(roles_of(user))))


def require_role(user: User, *roles: str) -> None:
    """Raises PermissionDenied unless the user holds one of `roles`."""
    if not roles_of(user) & set(roles):
        wanted = "、".join(ROLE_LABELS.get(r, r) for r in roles)
        raise PermissionDenied(f"需要以下角色之一：{wanted}")


def form_options(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Choices for form fields marked with ``x-options``."""
    units = session.execute(select(Unit.code, Unit.name, Unit.kind).order_by(Unit.kind, Unit.code)).all()
    groups = session.execute(select(Group.code, Group.name, Group.kind).order_by(Group.kind, Group.code)).all()
    return {
        "units": [(c, n) for c, n, _k in units],
        "responsible_units": [(c, n) for c, n, k in units if k in RESPONSIBLE_KINDS],
        "groups": [(c, n) for c, n, _k in groups],
        "indicator_groups": [(c, n) for c, n, k in groups if k == "indicator"],
        "thematic_groups": [(c, n) for c, n, k in groups if k == "thematic"],
    }


def unit_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Unit.code, Unit.name)).all())


def group_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Group.code, Group.name)).all())


def user_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(User.username, User.name)).all())
