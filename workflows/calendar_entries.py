"""What an admin enters into the working calendar, checked: one date, a holiday range, an import file.

Every check collects all its problems as field errors (`FormInvalid`, Chinese first) before
anything is written, so bad input changes nothing.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import HOLIDAY, WORKDAY
from .errors import FormInvalid

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_RANGE_DAYS = 31
MAX_IMPORT_ROWS = 2000
NAME_MAX, NOTE_MAX = 50, 200
KIND_LABELS = {HOLIDAY: "放假", WORKDAY: "调休上班"}
# Import files and the API may name a kind in English or as people write it on a schedule.
KIND_WORDS = {"holiday": HOLIDAY, "off": HOLIDAY, "休": HOLIDAY, "放假": HOLIDAY, "节假日": HOLIDAY, "假": HOLIDAY,
              "workday": WORKDAY, "work": WORKDAY, "班": WORKDAY, "上班": WORKDAY, "调休": WORKDAY, "调休上班": WORKDAY}
CSV_COLUMNS = {"date": "date", "日期": "date", "kind": "kind", "类型": "kind", "name": "name", "名称": "name",
               "note": "note", "备注": "note"}


@dataclass(frozen=True)
class Entry:
    """One override as entered: a date, 'holiday' or 'workday', and what it is for."""

    day: date
    kind: str
    name: str = ""
    note: str = ""


def parse_day(value) -> date:
    """A date written YYYY-MM-DD within MIN_YEAR–MAX_YEAR. Raises ValueError with the Chinese reason."""
    if isinstance(value, date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            raise ValueError("请填写日期")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"“{text[:20]}”不是有效日期，请按 YYYY-MM-DD 填写") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"日期须在 {MIN_YEAR}–{MAX_YEAR} 年之间")
    return day


def parse_year(value) -> int:
    """A year within MIN_YEAR–MAX_YEAR. Raises ValueError with the Chinese reason."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"“{str(value)[:20]}”不是有效年份") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间")
    return year


def parse_kind(value) -> str:
    """'holiday' or 'workday' from any of KIND_WORDS. Raises ValueError with the Chinese reason."""
    kind = KIND_WORDS.get(str(value or "").strip().lower())
    if kind is None:
        raise ValueError("类型须为 holiday（放假）或 workday（调休上班）")
    return kind


def _text(value, limit: int, label: str) -> str:
    if not isinstance(value, str):  # JSON may send true, 1 or null for a name
        raise ValueError(f"{label}须为文本")
    text = " ".join(value.split())
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit} 个字")
    return text


def check_entry(raw: dict) -> Entry:
    """An entry from a form or a JSON object (`date`, `kind`, `name`, `note`). Raises FormInvalid by field."""
    errors, values = {}, {}
    for field, parse in (("date", parse_day), ("kind", parse_kind),
                         ("name", lambda v: _text(v, NAME_MAX, "名称")),
                         ("note", lambda v: _text(v, NOTE_MAX, "备注"))):
        try:
            values[field] = parse(raw.get(field, "" if field in ("name", "note") else None))
        except ValueError as err:
            errors[field] = str(err)
    if errors:
        raise FormInvalid(errors)
    return Entry(values["date"], values["kind"], values["name"], values["note"])


def parse_days(text: str) -> list[date]:
    """Dates separated by commas, spaces or new lines (e.g. the 调休 Saturdays). Raises ValueError."""
    words = [w for w in str(text or "").replace("，", ",").replace("、", ",").replace(",", " ").split() if w]
    return [parse_day(w) for w in words]


def range_entries(raw: dict) -> list[Entry]:
    """A holiday from `start` to `end` (both included) named `name`, plus the 调休 working days in `workdays`.

    Raises FormInvalid by field: bad dates, end before start, a range over MAX_RANGE_DAYS days,
    a 调休 day inside the holiday.
    """
    errors = {}
    name = note = ""
    start = end = None
    workdays: list[date] = []
    for field, parse in (("start", parse_day), ("end", parse_day)):
        try:
            value = parse(raw.get(field))
        except ValueError as err:
            errors[field] = str(err)
        else:
            start, end = (value, end) if field == "start" else (start, value)
    for field, limit, label in (("name", NAME_MAX, "名称"), ("note", NOTE_MAX, "备注")):
        try:
            text = _text(raw.get(field, ""), limit, label)
        except ValueError as err:
            errors[field] = str(err)
        else:
            name, note = (text, note) if field == "name" else (name, text)
    if not name and "name" not in errors:
        errors["name"] = "请填写节日名称（如 春节）"
    try:
        workdays = parse_days(raw.get("workdays", ""))
    except ValueError as err:
        errors["workdays"] = str(err)
    if start and end:
        if end < start:
            errors["end"] = "结束日期不能早于开始日期"
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            errors["end"] = f"一次最多录入 {MAX_RANGE_DAYS} 天"
        inside = [d for d in workdays if start <= d <= end]
        if inside and "end" not in errors:
            errors["workdays"] = f"调休上班日 {inside[0].isoformat()} 在放假期间内"
    if errors:
        raise FormInvalid(errors)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return ([Entry(d, HOLIDAY, name, note) for d in days]
            + [Entry(d, WORKDAY, name, note) for d in dict.fromkeys(workdays)])


@dataclass
class ImportFile:
    entries: list[Entry]
    years: list[int]


def read_import(content: bytes, filename: str = "") -> ImportFile:
    """Overrides from a CSV (columns date,kind,name,note or 日期,类型,名称,备注) or JSON file.

    JSON is a list of objects with those keys, or {"overrides": [...], "scheduled_years": [2027]}
    to mark those years as entered too. Raises FormInvalid naming the row and column of every
    problem (at most the first 20), or the file's own problem.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormInvalid({"file": "文件须为 UTF-8 编码的 CSV 或 JSON"}) from None
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise FormInvalid({"file": f"不是有效的 JSON（第 {err.lineno} 行第 {err.colno} 列）"}) from None
        return from_json(data)
    return _checked(_csv_rows(text), [])


def from_json(data) -> ImportFile:
    """Overrides from parsed JSON, as in `read_import`. Raises FormInvalid by row and field."""
    rows, years = _json_rows(data)
    return _checked(rows, years)


def _checked(rows: list[tuple[int, dict]], years: list[int]) -> ImportFile:
    if not rows and not years:
        raise FormInvalid({"file": "没有任何要录入的日期"})
    if len(rows) > MAX_IMPORT_ROWS:
        raise FormInvalid({"file": f"一次最多导入 {MAX_IMPORT_ROWS} 行"})
    errors, entries, seen = {}, [], {}
    for number, row in rows:
        try:
            entry = check_entry(row)
        except FormInvalid as err:
            for field, message in err.errors.items():
                errors[f"第 {number} 行 {field}"] = message
            continue
        if entry.day in seen:
            errors[f"第 {number} 行 date"] = f"{entry.day.isoformat()} 与第 {seen[entry.day]} 行重复"
        seen[entry.day] = number
        entries.append(entry)
    if errors:
        raise FormInvalid(dict(list(errors.items())[:20]))
    return ImportFile(entries, years)


def _json_rows(data) -> tuple[list[tuple[int, dict]], list[int]]:
    years_raw = []
    if isinstance(data, dict):
        years_raw = data.get("scheduled_years") or []
        data = data.get("overrides", [])
    if not isinstance(data, list) or not isinstance(years_raw, list):
        raise FormInvalid({"file": "JSON 须为对象列表，或含 overrides 列表的对象"})
    rows, errors = [], {}
    for number, item in enumerate(data, start=1):
        if isinstance(item, dict):
            rows.append((number, item))
        else:
            errors[f"第 {number} 行"] = "须为含 date、kind 的对象"
    years = []
    for value in years_raw:
        try:
            years.append(parse_year(value))
        except ValueError as err:
            errors["scheduled_years"] = str(err)
    if errors:
        raise FormInvalid(errors)
    return rows, sorted(set(years))


def _csv_rows(text: str) -> list[tuple[int, dict]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    columns = [CSV_COLUMNS.get((h or "").strip().lower()) for h in header or []]
    if "date" not in columns or "kind" not in columns:
        raise FormInvalid({"file": "CSV 第一行须为列名：date,kind,name,note（或 日期,类型,名称,备注）"})
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        rows.append((number, {col: cell for col, cell in zip(columns, cells, strict=False) if col}))
    return rows
