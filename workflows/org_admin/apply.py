"""Writing the difference between two states of the organisation, in the caller's transaction.

`diff` says what changes (the import preview shows it); `apply` writes it: units, then groups,
then people and their roles, then hands over the open tasks of people who leave or move
(org_admin.handover), and revokes the API tokens of people whose login changed.
"""

from dataclasses import dataclass, field, fields

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import ApiToken, Group, GroupMember, Unit, User, UserRole
from ..organisation import NO_PASSWORD
from . import handover
from .world import GroupSpec, PersonSpec, UnitSpec, World


@dataclass
class TableDiff:
    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple]] = field(default_factory=dict)  # key → field → (old, new)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass
class Diff:
    units: TableDiff
    groups: TableDiff
    people: TableDiff
    reassigned: list = field(default_factory=list)  # the engine's Reassigned, one per task handed over

    def __bool__(self) -> bool:
        return bool(self.units or self.groups or self.people)


def _table_diff(before: dict, after: dict) -> TableDiff:
    result = TableDiff(added=sorted(k for k in after if k not in before),
                       removed=sorted(k for k in before if k not in after))
    for key in sorted(k for k in after if k in before):
        old, new = before[key], after[key]
        if old != new:
            result.changed[key] = {f.name: (getattr(old, f.name), getattr(new, f.name)) for f in fields(old)
                                   if getattr(old, f.name) != getattr(new, f.name)}
    return result


def diff(before: World, after: World) -> Diff:
    return Diff(_table_diff(before.units, after.units), _table_diff(before.groups, after.groups),
                _table_diff(before.people, after.people))


@dataclass
class Passwords:
    """Password hashes for people being added, by username; anyone else added gets none yet."""

    hashes: dict[str, str] = field(default_factory=dict)


def apply(platform, session: Session, by: str, before: World, after: World,
          plans: dict[str, handover.Plan] | None = None, passwords: Passwords | None = None) -> Diff:
    """Write what differs between `before` (as the database holds it) and `after`.

    People who leave or move hand over their open tasks as `plans` (by username) say, else by
    the default rule. Raises what handover.carry_out raises; the caller's transaction then
    writes nothing.
    """
    changes = diff(before, after)
    _write_units(session, after, changes.units)
    _write_groups(session, after, changes.groups)
    _write_people(session, after, changes.people, passwords or Passwords())
    for username in changes.people.changed:
        old, new = before.people[username], after.people[username]
        if (old.active and not new.active) or old.unit != new.unit:
            changes.reassigned += handover.carry_out(platform, session, by, before, after, old, new,
                                                     (plans or {}).get(username))
    return changes


def _unit_values(spec: UnitSpec) -> dict:
    return {"name": spec.name, "short_name": spec.short_name, "kind": spec.kind, "head": spec.head,
            "active": spec.active, "sort_order": spec.sort_order}


def _write_units(session: Session, after: World, changes) -> None:
    for code in changes.added:
        session.add(Unit(code=code, **_unit_values(after.units[code])))
    for code in changes.changed:
        unit = session.get(Unit, code)
        for key, value in _unit_values(after.units[code]).items():
            setattr(unit, key, value)
    session.flush()


def _group_values(spec: GroupSpec) -> dict:
    return {"name": spec.name, "kind": spec.kind, "lead_unit": spec.lead_unit, "leader": spec.leader,
            "active": spec.active, "sort_order": spec.sort_order}


def _write_groups(session: Session, after: World, changes) -> None:
    for code in changes.added:
        session.add(Group(code=code, **_group_values(after.groups[code])))
    for code in changes.changed:
        group = session.get(Group, code)
        for key, value in _group_values(after.groups[code]).items():
            setattr(group, key, value)
    session.flush()
    for code in [*changes.added, *changes.changed]:
        if code in changes.changed and "members" not in changes.changed[code]:
            continue
        wanted = set(after.groups[code].members)
        have = set(session.scalars(select(GroupMember.unit_code).where(GroupMember.group_code == code)))
        if have - wanted:
            session.execute(delete(GroupMember).where(GroupMember.group_code == code,
                                                      GroupMember.unit_code.in_(have - wanted)))
        session.add_all(GroupMember(group_code=code, unit_code=u) for u in sorted(wanted - have))
    session.flush()


def _role_rows(spec: PersonSpec) -> set[tuple[str, str | None]]:
    return ({(role, None) for role in spec.roles} | {("group_member", g) for g in spec.member_of}
            | {("group_leader", g) for g in spec.led})


def _person_values(spec: PersonSpec) -> dict:
    return {"login": spec.login, "name": spec.name, "unit_code": spec.unit, "phone": spec.phone,
            "email": spec.email, "active": spec.active}


def _write_people(session: Session, after: World, changes, passwords: Passwords) -> None:
    for username in changes.added:
        spec = after.people[username]
        user = User(username=username, password_hash=passwords.hashes.get(username, NO_PASSWORD),
                    **_person_values(spec))
        user.roles.extend(UserRole(role=role, group_code=group) for role, group in sorted(_role_rows(spec),
                                                                                          key=str))
        session.add(user)
    changed = changes.changed
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(changed)))} if changed else {}
    renamed = []
    for username, fields_changed in changed.items():
        user, spec = users[username], after.people[username]
        for key, value in _person_values(spec).items():
            setattr(user, key, value)
        wanted = _role_rows(spec)
        have = {(r.role, r.group_code): r for r in user.roles}
        for key in set(have) - wanted:
            user.roles.remove(have[key])
        user.roles.extend(UserRole(role=role, group_code=group) for role, group in sorted(wanted - set(have),
                                                                                          key=str))
        if "login" in fields_changed:
            renamed.append(user.id)
    session.flush()
    if renamed:  # a token was issued to the old name: it must not outlive it
        session.execute(update(ApiToken).where(ApiToken.user_id.in_(renamed)).values(revoked=True))
    for username in changes.removed:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        session.delete(user)
    session.flush()
