"""The organisation: loading units, groups and people, and answering who someone is."""

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import Actor, Assignment

from . import seed_data
from .errors import PermissionDenied
from .models import Group, GroupMember, Unit, User, UserRole

# Unit kinds: the codes stay as the first databases wrote them; the labels are what offices say.
UNIT_KINDS = {
    "office": "领导小组办公室",
    "government": "区委区政府",
    "party": "区委部门",
    "bureau": "区直部门",
    "vertical": "垂直管理部门",
    "street": "乡镇街道",
    "soe": "国有企业",
    "inspection": "督查机构",
    "discipline": "纪检监察机关",
    "other": "其他",
}
# Units that may be held responsible for a finding (责任单位).
RESPONSIBLE_KINDS = ("bureau", "party", "vertical", "street", "soe", "other")
GROUP_KINDS = {
    "leading_group": "领导小组",
    "thematic": "专题组",
    "indicator": "指标组（专班）",
    "special_action": "专项行动组",
}
ROLE_LABELS = {
    "admin": "系统管理员",
    "office": "领导小组办公室",
    "group_leader": "组长",
    "group_member": "工作组成员",
    "drafter": "起草人",
    "unit_head": "单位负责人",
    "unit_staff": "单位工作人员",
    "inspector": "督查人员",
    "legality_reviewer": "合法性审核",
    "competition_reviewer": "公平竞争审查",
    "discipline": "纪委监委",
}
# Roles held within one group; the others are held without one.
GROUP_ROLES = {"group_leader": "组长", "group_member": "成员"}
# Who acts when nobody logged in does: timers, the worker, the command line. No person may take the name.
SYSTEM = "system"


def load_organisation(session: Session) -> None:
    """Give an empty organisation the seeds' units and groups, the demo and a starting point.

    An organisation that has units already is the office's own: it is left exactly as it is, so
    that upgrading the schema never brings back a unit or group an office changed or retired.
    """
    if session.scalar(select(Unit.code).limit(1)) is not None:
        return
    for order, unit in enumerate(seed_data.UNITS, start=1):
        session.add(Unit(code=unit["code"], name=unit["name"], short_name=unit.get("short_name"),
                         kind=unit["kind"], active=True, sort_order=order * 10))
    session.flush()
    for order, group in enumerate(seed_data.GROUPS, start=1):
        # The seeds' leaders are demo people; the demo names them leaders when it adds them.
        session.add(Group(code=group["code"], name=group["name"], kind=group["kind"], lead_unit=group["lead_unit"],
                          leader=None, active=True, sort_order=order * 10))
        session.flush()
        for unit_code in dict.fromkeys([group["lead_unit"], *group["members"]]):
            session.add(GroupMember(group_code=group["code"], unit_code=unit_code))
    session.flush()


def create_user(session: Session, username: str, name: str, unit: str, password: str | None,
                roles: list[str], groups: list[str] = (), email: str | None = None,
                phone: str | None = None) -> User:
    """Add a person with a hashed password; group roles (组长) are tied to each listed group.

    Without a password the account cannot sign in until one is set.
    """
    user = User(username=username, login=username, name=name, unit_code=unit, email=email, phone=phone,
                password_hash=generate_password_hash(password) if password else NO_PASSWORD)
    for role in roles:
        if role == "group_leader" and groups:
            user.roles.extend(UserRole(role=role, group_code=g) for g in groups)
        else:
            user.roles.append(UserRole(role=role))
    session.add(user)
    session.flush()
    return user


# A stored hash no password matches (werkzeug reads no method from it), for accounts not yet given one.
NO_PASSWORD = "!"


def user_by_name(session: Session, username: str) -> User | None:
    """The person whose permanent username is `username`."""
    return session.scalars(select(User).where(User.username == username)).first()


def user_by_login(session: Session, login: str) -> User | None:
    """The person who signs in as `login` (a renamed person no longer answers to the old one)."""
    return session.scalars(select(User).where(User.login == login)).first()


def authenticate(session: Session, login: str, password: str) -> User | None:
    user = user_by_login(session, login)
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def username_for_login(session: Session, login: str) -> str:
    """The permanent username of whoever signs in as `login`, for the command line's `--as`.

    Raises PermissionDenied when nobody does (a renamed person no longer answers to the old login).
    """
    user = user_by_login(session, login)
    if user is None:
        raise PermissionDenied(f"用户 {login} 不存在或已停用")
    return user.username


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
    """Choices for form fields marked with ``x-options``: active units and groups, in their order."""
    units = session.execute(select(Unit.code, Unit.name, Unit.kind).where(Unit.active.is_(True))
                            .order_by(Unit.sort_order, Unit.kind, Unit.code)).all()
    groups = session.execute(select(Group.code, Group.name, Group.kind).where(Group.active.is_(True))
                             .order_by(Group.sort_order, Group.kind, Group.code)).all()
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


def offered_to_active(assigner):
    """`assigner` (of lane, element, process and data), as the engine's assigner: a task meant for a
    person who has left goes to their unit's pool.

    Instance data names people (the drafter a measure returns to, a case's inspector); a person
    deactivated since must not be offered new work. Reads in the action's own transaction.
    """

    def assign(session, lane, element_id, process_key, data) -> Assignment:
        who = assigner(lane, element_id, process_key, data)
        if who.user:
            row = session.execute(select(User.active, User.unit_code).where(User.username == who.user)).first()
            if row is not None and not row.active:
                return replace(who, user=None, unit=row.unit_code)
        return who

    return assign
