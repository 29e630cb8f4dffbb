"""The organisation as plain values, and the rules every state of it must keep.

Each change — a form, an API call, a command, a whole workbook — is made the same way: read the
organisation as it is (`load`), build the organisation as it should be, find what the change
breaks (`new_problems`), and only then write the difference (`org_admin.apply`). So a rule holds
however the change arrives, and a workbook is checked as a whole before anything is written.
"""

from collections import Counter
from dataclasses import dataclass, field, replace

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import Group, GroupMember, Unit, User
from ..organisation import GROUP_ROLES
from .access import ORG_ADMIN_ROLES


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    short_name: str | None = None
    head: str | None = None  # username of its 负责人
    active: bool = True
    sort_order: int = 0


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name: str
    kind: str
    lead_unit: str
    leader: str | None = None  # username of its 组长
    members: tuple[str, ...] = ()  # unit codes, sorted; the lead unit among them
    active: bool = True
    sort_order: int = 0


@dataclass(frozen=True)
class PersonSpec:
    username: str  # permanent: what tasks, events and instance data name the person by
    login: str
    name: str
    unit: str
    phone: str | None = None
    email: str | None = None
    active: bool = True
    roles: tuple[str, ...] = ()  # roles held without a group, sorted
    member_of: tuple[str, ...] = ()  # groups the person is a 成员 of, sorted
    led: tuple[str, ...] = ()  # groups the person is 组长 of: each group's leader, never set on its own


@dataclass(frozen=True)
class Problem:
    """One rule an organisation breaks, tied to a record (`table`, `key`) and one of its fields."""

    table: str  # unit, group, person, or organisation for rules about the whole
    key: str
    field: str
    message: str


@dataclass
class World:
    units: dict[str, UnitSpec] = field(default_factory=dict)
    groups: dict[str, GroupSpec] = field(default_factory=dict)
    people: dict[str, PersonSpec] = field(default_factory=dict)  # by username

    def copy(self) -> "World":
        return World(dict(self.units), dict(self.groups), dict(self.people))

    def by_login(self) -> dict[str, PersonSpec]:
        return {p.login: p for p in self.people.values()}

    def with_leaders(self, groups=None) -> "World":
        """The same organisation with each person's `led` groups following the groups' leaders.

        Only groups in `groups` (all when None) are considered: who else holds a group role
        stays as it is.
        """
        codes = set(self.groups if groups is None else groups)
        people = {}
        for username, person in self.people.items():
            mine = {g for g in person.led if g not in codes}
            mine |= {g for g in codes if g in self.groups and self.groups[g].leader == username}
            led = tuple(sorted(mine))
            people[username] = person if person.led == led else replace(person, led=led)
        return World(self.units, self.groups, people)


# Any number, the same in every process: PostgreSQL's transaction-scoped advisory lock on it.
CHANGE_LOCK = 0x6F7267  # "org"


def load(session: Session, for_change: bool = False) -> World:
    """The organisation as the database holds it now.

    `for_change` first waits for any other change of the organisation to commit, so that rules
    checked against what this reads (one admin left, a login free) still hold when it writes.
    SQLite writes one transaction at a time already; PostgreSQL takes an advisory lock until the
    transaction ends.
    """
    if for_change and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOCK})
    world = World()
    for unit in session.scalars(select(Unit)):
        world.units[unit.code] = UnitSpec(unit.code, unit.name, unit.kind, unit.short_name, unit.head,
                                          bool(unit.active), unit.sort_order or 0)
    members: dict[str, list[str]] = {}
    for group_code, unit_code in session.execute(select(GroupMember.group_code, GroupMember.unit_code)):
        members.setdefault(group_code, []).append(unit_code)
    for group in session.scalars(select(Group)):
        world.groups[group.code] = GroupSpec(group.code, group.name, group.kind, group.lead_unit, group.leader,
                                             tuple(sorted(members.get(group.code, ()))), bool(group.active),
                                             group.sort_order or 0)
    for user in session.scalars(select(User)):
        roles = sorted({r.role for r in user.roles if r.group_code is None and r.role not in GROUP_ROLES})
        member_of = sorted({r.group_code for r in user.roles if r.role == "group_member" and r.group_code})
        led = sorted({r.group_code for r in user.roles if r.role == "group_leader" and r.group_code})
        world.people[user.username] = PersonSpec(user.username, user.login, user.name, user.unit_code, user.phone,
                                                 user.email, bool(user.active), tuple(roles), tuple(member_of),
                                                 tuple(led))
    return world


def problems(world: World) -> set[Problem]:
    """Every rule `world` breaks."""
    found: set[Problem] = set()
    found |= _unit_problems(world)
    found |= _group_problems(world)
    found |= _person_problems(world)
    return found


def new_problems(before: World, after: World) -> list[Problem]:
    """What `after` breaks that `before` did not, in a stable order; losing the last admin among them."""
    fresh = problems(after) - problems(before)
    lost = admin_problem(before, after)
    if lost:
        fresh.add(lost)
    return sorted(fresh, key=lambda p: (p.table, p.key, p.field, p.message))


def admin_problem(before: World, after: World) -> Problem | None:
    """The organisation loses its last active administrator (one it had)."""
    if _admins(before) and not _admins(after):
        return Problem("organisation", "", "roles", "至少须保留一名在用的系统管理员")
    return None


def _admins(world: World) -> list[str]:
    return [p.username for p in world.people.values() if p.active and set(p.roles) & set(ORG_ADMIN_ROLES)]


def _duplicates(records, attribute: str) -> dict[str, list[str]]:
    """Value → codes of the records sharing it, for values more than one record has."""
    counts = Counter(getattr(r, attribute) for r in records)
    shared: dict[str, list[str]] = {}
    for record in records:
        if counts[getattr(record, attribute)] > 1:
            shared.setdefault(getattr(record, attribute), []).append(record.code)
    return shared


def _unit_problems(world: World) -> set[Problem]:
    found = set()
    for name, codes in _duplicates(list(world.units.values()), "name").items():
        for code in codes:
            others = "、".join(c for c in codes if c != code)
            found.add(Problem("unit", code, "name", f"名称“{name}”与单位 {others} 重复"))
    active_people = Counter(p.unit for p in world.people.values() if p.active)
    for unit in world.units.values():
        if unit.head:
            head = world.people.get(unit.head)
            if head is None:
                found.add(Problem("unit", unit.code, "head", f"负责人 {unit.head} 不存在"))
            elif not head.active:
                found.add(Problem("unit", unit.code, "head", f"负责人 {head.name}（{head.login}）已停用"))
            elif head.unit != unit.code:
                found.add(Problem("unit", unit.code, "head", f"负责人 {head.name}（{head.login}）不属于本单位"))
        if not unit.active:
            if active_people[unit.code]:
                found.add(Problem("unit", unit.code, "active",
                                  f"单位还有 {active_people[unit.code]} 名在用人员，请先调离或停用"))
            leading = sorted(g.code for g in world.groups.values() if g.active and g.lead_unit == unit.code)
            if leading:
                found.add(Problem("unit", unit.code, "active", f"单位仍是工作组 {'、'.join(leading)} 的牵头单位"))
    return found


def _group_problems(world: World) -> set[Problem]:
    found = set()
    for name, codes in _duplicates(list(world.groups.values()), "name").items():
        for code in codes:
            others = "、".join(c for c in codes if c != code)
            found.add(Problem("group", code, "name", f"名称“{name}”与工作组 {others} 重复"))
    for group in world.groups.values():
        lead = world.units.get(group.lead_unit)
        if lead is None:
            found.add(Problem("group", group.code, "lead_unit", f"牵头单位 {group.lead_unit} 不存在"))
        elif group.active and not lead.active:
            found.add(Problem("group", group.code, "lead_unit", f"牵头单位 {lead.name} 已停用"))
        if group.lead_unit not in group.members:
            found.add(Problem("group", group.code, "members", "牵头单位须为成员单位之一"))
        unknown = [u for u in group.members if u not in world.units]
        if unknown:
            found.add(Problem("group", group.code, "members", f"成员单位不存在：{'、'.join(unknown)}"))
        if group.leader:
            leader = world.people.get(group.leader)
            if leader is None:
                found.add(Problem("group", group.code, "leader", f"组长 {group.leader} 不存在"))
            elif group.active and not leader.active:
                found.add(Problem("group", group.code, "leader", f"组长 {leader.name}（{leader.login}）已停用"))
    return found


def _person_problems(world: World) -> set[Problem]:
    found = set()
    logins = Counter(p.login for p in world.people.values())
    for person in world.people.values():
        if logins[person.login] > 1:
            found.add(Problem("person", person.username, "login", f"账号 {person.login} 已被他人使用"))
        unit = world.units.get(person.unit)
        if unit is None:
            found.add(Problem("person", person.username, "unit", f"单位 {person.unit} 不存在"))
        elif person.active and not unit.active:
            found.add(Problem("person", person.username, "unit", f"单位 {unit.name} 已停用"))
        unknown = [g for g in person.member_of if g not in world.groups]
        if unknown:
            found.add(Problem("person", person.username, "member_of", f"工作组不存在：{'、'.join(unknown)}"))
    return found
