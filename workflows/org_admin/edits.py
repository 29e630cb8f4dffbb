"""What every single change (one unit, group or person) shares: refusal by field, and committing.

Pages, the JSON API and the command line read a record's fields, build the organisation as it
will be, and call `commit`, which refuses the change with every problem by field (OrgInvalid,
422) or writes it through `apply` in the caller's transaction.
"""

from engine.errors import NotFound

from ..errors import FormInvalid
from . import fields as f
from .apply import Diff, Passwords, apply
from .world import Problem, World, new_problems

# The field that collects problems of other records the change would cause (a unit left without
# its head, the last administrator gone).
OTHERS = "organisation"
TABLE_WORDS = {"unit": "单位", "group": "工作组", "person": "人员", "organisation": "组织机构"}


class OrgInvalid(FormInvalid):
    """A change the organisation's rules refuse; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str], labels: dict[str, str]):
        super().__init__(errors)
        self.message = "；".join(f"{labels.get(k, '其他')}：{v}" if k != OTHERS else v for k, v in errors.items())
        self.args = (self.message,)


def describe(problem: Problem) -> str:
    """A problem of some record in a sentence naming the record."""
    if problem.table == "organisation":
        return problem.message
    return f"{TABLE_WORDS[problem.table]} {problem.key}：{problem.message}"


def commit(platform, session, by: str, before: World, after: World, table: str, key: str,
           errors: dict[str, str], labels: dict[str, str], plans=None,
           passwords: Passwords | None = None) -> Diff:
    """Write `after` unless the reading (`errors`) or the rules found problems.

    Problems of record (`table`, `key`) go under their own field; the others under OTHERS.
    Raises OrgInvalid, and whatever the handovers raise.
    """
    reading, errors, others = dict(errors), dict(errors), []
    # The rules need the record's key; a field that could not be read keeps its own message only,
    # and other records are judged only against a change read whole.
    found = new_problems(before, after) if key else []
    mine = {p.field for p in found if p.table == table and p.key == key}
    for problem in found:
        if problem.table == table and problem.key == key:
            if problem.field not in reading:
                errors[problem.field] = "；".join(filter(None, (errors.get(problem.field), problem.message)))
        elif not reading and not (problem.table == table and problem.field in mine):  # not the other half of a clash
            others.append(describe(problem))
    if others:
        errors[OTHERS] = "；".join(others)
    if errors:
        raise OrgInvalid(errors, labels)
    return apply(platform, session, by, before, after, plans, passwords)


def person_ref(value, world: World, by: str = "username") -> str | None:
    """The username of the person `value` names (a username, or a login when `by` is "login").

    Raises FieldError for nobody.
    """
    clean = f.text(value, False, 100)
    if clean is None:
        return None
    if by == "login":
        person = world.by_login().get(clean)
        if person is None:
            raise f.FieldError(f"账号 {clean} 不存在")
        return person.username
    if clean not in world.people:
        raise f.FieldError(f"人员 {clean} 不存在")
    return clean


def read(errors: dict[str, str], raw: dict, current, name: str, reader, *args):
    """`raw[name]` through `reader` when given, else the current record's value; errors go in `errors`."""
    if name not in raw and current is not None:
        return getattr(current, name)
    try:
        return reader(raw.get(name), *args)
    except f.FieldError as err:
        errors[name] = err.message
        return getattr(current, name, None) if current is not None else None


def not_found(what: str, key) -> NotFound:
    return NotFound(f"{what} {key} 不存在")
