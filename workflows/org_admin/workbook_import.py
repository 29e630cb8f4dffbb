"""Importing the organisation workbook: read it whole, check it whole, preview, then write it at once.

`plan_import` reads every sheet into the organisation as it would be and returns what would
change with every problem tied to its sheet, row and column; nothing is written. `run_import`
writes a plan without problems in the caller's transaction, or raises ImportRefused.
Records the workbook leaves out are deactivated, never deleted.
"""

import hashlib
import zipfile
from dataclasses import dataclass, field, replace
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from engine.errors import EngineError

from ..organisation import SYSTEM
from . import fields as f
from .access import authorise
from .apply import Diff, apply, diff
from .groups import read_group
from .handover import held_tasks
from .people import free_username, read_person
from .units import read_unit
from .workbook import GROUPS, PEOPLE, SHEETS, UNITS, Sheet, spec_cell_text
from .world import GroupSpec, PersonSpec, UnitSpec, World, admin_problem, load, problems

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 50  # the widest sheet has 8; columns an office adds for its own notes are not read
MAX_UNPACKED = 64 * 1024 * 1024
EXTRA_LABELS = {"led": "担任组长", "username": "用户名"}


@dataclass(frozen=True)
class CellProblem:
    """One problem, where it is: sheet title, Excel row (None for the sheet or the whole) and column header."""

    sheet: str | None
    row: int | None
    column: str | None
    message: str
    letter: str | None = None  # the column's letter in the sheet (C), when known

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.row:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"“{self.column}”列" + (f"（{self.letter} 列）" if self.letter else ""))
        return ("".join(where) + "：" if where else "") + self.message

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "letter": self.letter,
                "message": self.message}


@dataclass
class Change:
    sheet: str
    row: int | None
    key: str
    name: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)


@dataclass
class ImportPlan:
    """What an import would do; `errors` empty means it may be written."""

    errors: list[CellProblem] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    deactivated: list[Change] = field(default_factory=list)
    handovers: dict[str, int] = field(default_factory=dict)  # username of who leaves or moves → tasks held
    digest: str = ""
    before: World | None = None
    after: World | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "deactivated": len(self.deactivated),
                "errors": len(self.errors), "handovers": sum(self.handovers.values())}


class ImportRefused(EngineError):
    """An import with problems; nothing was written. `errors` lists each with sheet, row and column."""

    status = 422

    def __init__(self, errors: list[CellProblem]):
        self.errors = list(errors)
        shown = "；".join(str(e) for e in self.errors[:20])
        more = f"；另有 {len(self.errors) - 20} 处错误" if len(self.errors) > 20 else ""
        super().__init__(f"工作簿有 {len(self.errors)} 处错误，未导入：{shown}{more}")


@dataclass
class _Read:
    """A sheet's records by key, the Excel row of each, and the problems found reading it."""

    rows: dict[str, int] = field(default_factory=dict)
    raw: dict[str, dict] = field(default_factory=dict)
    errors: list[CellProblem] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)  # field → column letter

    def problem(self, sheet: Sheet, row: int | None, name: str | None, message: str) -> CellProblem:
        column = sheet.column(name) if name else None
        return CellProblem(sheet.title, row, column.header if column else None, message,
                           self.letters.get(name) if column else None)


def _refused(message: str) -> ImportRefused:
    return ImportRefused([CellProblem(None, None, None, message)])


def _open(data: bytes) -> dict[str, list[tuple]]:
    """The rows of the sheets an import reads, by title, each read whole (at most MAX_ROWS and MAX_COLUMNS).

    Raises ImportRefused when the bytes are empty, too large packed or unpacked, or not an .xlsx
    workbook that can be read.
    """
    if not data:
        raise _refused("上传的文件是空的")
    if len(data) > MAX_BYTES:
        raise _refused(f"文件过大（上限 {MAX_BYTES // 1024 // 1024} MB）")
    unreadable = "无法读取：不是有效的 Excel 工作簿（.xlsx）"
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            # Each part is unpacked no further than the size it declares, so this bounds the reading.
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refused(unreadable) from None
    if unpacked > MAX_UNPACKED:
        raise _refused(f"文件解压后过大（上限 {MAX_UNPACKED // 1024 // 1024} MB），请删去无关的工作表或内容后再导入")
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
        try:
            return {sheet.title: list(book[sheet.title].iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS,
                                                                   values_only=True))
                    for sheet in SHEETS if sheet.title in book.sheetnames}
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - openpyxl parsing a crafted file raises ParseError, TypeError, ValueError …
        raise _refused(unreadable) from None


def _read_sheet(sheets: dict[str, list[tuple]], sheet: Sheet, key_field: str) -> _Read:
    result = _Read()
    if sheet.title not in sheets:
        result.errors.append(CellProblem(sheet.title, None, None, f"缺少工作表“{sheet.title}”"))
        return result
    rows = iter(sheets[sheet.title])
    header = next(rows, None) or ()
    names = [str(h).strip().rstrip("*").strip() if h is not None else "" for h in header]
    where = {}
    for column in sheet.columns:
        if column.header in names:
            where[column.field] = names.index(column.header)
            result.letters[column.field] = get_column_letter(where[column.field] + 1)
        elif column.required:
            result.errors.append(CellProblem(sheet.title, 1, column.header, "缺少必填列"))
    if result.errors:
        return result
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            result.errors.append(CellProblem(sheet.title, number, None, f"行数超过上限 {MAX_ROWS}"))
            break
        raw = {name: values[i] if i < len(values) else None for name, i in where.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values()):
            continue
        key = raw.get(key_field)
        key = None if key is None else f.text(key, False, 200) if not isinstance(key, bool) else str(key)
        if not key:
            result.errors.append(result.problem(sheet, number, key_field, "必填"))
            continue
        if key in result.rows:
            result.errors.append(result.problem(sheet, number, key_field, f"与第 {result.rows[key]} 行重复"))
            continue
        result.rows[key], result.raw[key] = number, raw
    return result


def _skeleton(before: World, units: _Read, groups: _Read, people: _Read) -> tuple[World, dict[str, str]]:
    """The records the workbook names, with just enough filled in for references between sheets to resolve.

    Returns it and each person's username by login (existing people keep theirs).
    """
    world = World()
    for code, raw in units.raw.items():
        world.units[code] = UnitSpec(code, str(raw.get("name") or code), "other")
    for code, raw in groups.raw.items():
        world.groups[code] = GroupSpec(code, str(raw.get("name") or code), "thematic", "")
    existing = before.by_login()
    usernames, taken = {}, World(people=dict(before.people))
    for login in people.raw:
        known = existing.get(login)
        usernames[login] = known.username if known else free_username(taken, login)
        taken.people.setdefault(usernames[login], None)
        world.people[usernames[login]] = PersonSpec(usernames[login], login, login, "")
    return world, usernames


def _parse(sheet: Sheet, read: _Read, reader, errors: list[CellProblem]) -> dict:
    specs = {}
    for key, raw in read.raw.items():
        spec, problems_ = reader(key, raw)
        for name, message in problems_.items():
            errors.append(read.problem(sheet, read.rows[key], name, message))
        specs[key] = spec
    return specs


def _build(before: World, sheets: dict[str, list[tuple]]) -> tuple[World, dict, list[CellProblem]]:
    reads = {s.table: _read_sheet(sheets, s, key) for s, key in ((UNITS, "code"), (GROUPS, "code"), (PEOPLE, "login"))}
    errors = [e for r in reads.values() for e in r.errors]
    skeleton, usernames = _skeleton(before, reads["unit"], reads["group"], reads["person"])
    units = _parse(UNITS, reads["unit"], lambda k, raw: read_unit(raw, skeleton, None, "login"), errors)
    groups = _parse(GROUPS, reads["group"], lambda k, raw: read_group(raw, skeleton, None, "login"), errors)

    def person(login, raw):
        spec, problems_ = read_person(raw, skeleton, None)
        try:
            active = f.flag(raw.get("active"))
        except f.FieldError as err:
            problems_["active"], active = err.message, True
        return replace(spec, username=usernames[login], active=active), problems_

    people = _parse(PEOPLE, reads["person"], person, errors)
    after = World(units={s.code: s for s in units.values()}, groups={s.code: s for s in groups.values()},
                  people={s.username: s for s in people.values()})
    # What the workbook leaves out stays on record, inactive.
    for table, records in (("units", before.units), ("groups", before.groups), ("people", before.people)):
        mine = getattr(after, table)
        for key, spec in records.items():
            mine.setdefault(key, replace(spec, active=False))
    rows = {"unit": reads["unit"].rows, "group": reads["group"].rows,
            "person": {usernames[login]: n for login, n in reads["person"].rows.items()}}
    return after.with_leaders(), {"rows": rows, "reads": reads}, errors


def _rule_errors(before: World, after: World, where: dict, by: str) -> list[CellProblem]:
    sheets, rows, reads = {"unit": UNITS, "group": GROUPS, "person": PEOPLE}, where["rows"], where["reads"]
    found = []
    for problem in sorted(problems(after), key=lambda p: (p.table, rows[p.table].get(p.key, 0), p.field)):
        row = rows[problem.table].get(problem.key)
        if row:
            found.append(reads[problem.table].problem(sheets[problem.table], row, problem.field, problem.message))
        else:
            found.append(CellProblem(sheets[problem.table].title, None, None,
                                     f"{problem.key}（工作簿中没有，将停用）：{problem.message}"))
    lost = admin_problem(before, after)
    if lost:
        found.append(CellProblem(PEOPLE.title, None, None, f"导入后{lost.message}"))
    if by != SYSTEM and by in after.people and not after.people[by].active:
        found.append(CellProblem(PEOPLE.title, rows["person"].get(by), None,
                                  f"导入将停用当前登录的账号 {before.people[by].login}，请在工作簿中保留并启用它"))
    return found


def plan_import(session: Session, by: str, data: bytes, for_change: bool = False) -> ImportPlan:
    """What importing `data` would do, with every problem; writes nothing.

    Raises PermissionDenied, or ImportRefused when the file is not a workbook at all.
    """
    authorise(session, by)
    before = load(session, for_change)
    after, where, errors = _build(before, _open(data))
    if not errors:
        errors = _rule_errors(before, after, where, by)
    rows = where["rows"]
    plan = ImportPlan(errors=errors, before=before, after=after)
    if errors:
        return plan
    _describe(plan, diff(before, after), rows)
    for username in plan_changes(before, after):
        plan.handovers[username] = len(held_tasks(session, username))
    plan.digest = _digest(plan)
    return plan


def plan_changes(before: World, after: World) -> dict[str, dict]:
    """People who leave or move under the change, with their changed fields."""
    changes = diff(before, after).people.changed
    return {u: c for u, c in changes.items() if "unit" in c or ("active" in c and not after.people[u].active)}


def _describe(plan: ImportPlan, changes: Diff, rows: dict) -> None:
    sheets = (("unit", UNITS, changes.units, "units"), ("group", GROUPS, changes.groups, "groups"),
              ("person", PEOPLE, changes.people, "people"))
    for table, sheet, table_diff, attr in sheets:
        after, before = getattr(plan.after, attr), getattr(plan.before, attr)
        for key in table_diff.added:
            plan.added.append(Change(sheet.title, rows[table].get(key), _shown_key(after[key]), after[key].name))
        for key, changed in table_diff.changed.items():
            spec = after[key]
            change = Change(sheet.title, rows[table].get(key), _shown_key(spec), spec.name, [
                (_label(sheet, name), spec_cell_text(before[key], name, plan.before),
                 spec_cell_text(spec, name, plan.after)) for name in changed])
            absent = rows[table].get(key) is None
            (plan.deactivated if absent or changed.keys() == {"active"} and not spec.active
             else plan.changed).append(change)


def _shown_key(spec) -> str:
    return getattr(spec, "login", None) or spec.code


def _label(sheet: Sheet, name: str) -> str:
    column = sheet.column(name)
    return column.header if column else EXTRA_LABELS.get(name, name)


def _digest(plan: ImportPlan) -> str:
    """A fingerprint of what the plan changes, so that a confirmation writes exactly what was previewed."""
    text = repr([(c.sheet, c.key, c.fields) for c in (*plan.added, *plan.changed, *plan.deactivated)]
                + sorted(plan.handovers.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_import(platform, session: Session, by: str, data: bytes, digest: str | None = None) -> ImportPlan:
    """Import `data` in the caller's transaction; with `digest`, only if it still does what was previewed.

    Raises PermissionDenied, ImportRefused (problems in the workbook, or the organisation changed
    since the preview), or what the handovers raise.
    """
    plan = plan_import(session, by, data, for_change=True)
    if plan.errors:
        raise ImportRefused(plan.errors)
    if digest is not None and digest != plan.digest:
        raise ImportRefused([CellProblem(None, None, None, "预览之后组织机构或待办已有变动，请重新上传并预览")])
    apply(platform, session, by, plan.before, plan.after)
    return plan

