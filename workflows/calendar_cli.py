"""`ysflow calendar …`: list a year, set or remove overrides, import a file, mark a year, recompute deadlines."""

import argparse
from pathlib import Path

from . import calendar_recompute
from .calendar_entries import KIND_LABELS, check_entry, parse_day, parse_year, read_import
from .calendar_overrides import mark_year, remove_overrides, save_overrides, year_view
from .errors import FormInvalid

KIND_NAMES = {"work": "工作日", "weekend": "休息日", "holiday": "放假", "makeup": "调休上班"}
WEEKDAYS = "一二三四五六日"


def _checked(parse, value):
    """`parse(value)`, its ValueError as one line and exit code 2."""
    try:
        return parse(value)
    except ValueError as err:
        raise SystemExit(f"错误：{err}") from None


def _refused(err: FormInvalid) -> SystemExit:
    return SystemExit("错误：" + "；".join(f"{k}：{v}" for k, v in err.errors.items()))


def cmd_list(platform, args):
    year = _checked(parse_year, args.year)
    with platform.db.reading() as session:
        view = year_view(session, year)
    source = "官方安排" if view.official else ("已录入" if view.entered else "未录入（按周一至周五计算）")
    print(f"{year} 年工作日历：{source}，工作日 {view.working_days} 天，录入的调整 {len(view.overrides)} 条")
    for month in view.months:
        for week in month:
            for d in week:
                if d is not None and (d.override or d.kind in ("holiday", "makeup")):
                    mark = "录入" if d.override else "官方"
                    note = f"  {d.override.note}" if d.override and d.override.note else ""
                    print(f"  {d.day.isoformat()} 周{WEEKDAYS[d.day.weekday()]} {KIND_NAMES[d.kind]:<4} "
                          f"{d.name or '-':<6} [{mark}]{note}")


def cmd_set(platform, args):
    try:
        entry = check_entry({"date": args.date, "kind": args.kind, "name": args.name, "note": args.note})
    except FormInvalid as err:
        raise _refused(err) from None
    with platform.db.transaction() as session:
        save_overrides(session, args.as_user, [entry], platform.clock())
    print(f"已保存 {entry.day.isoformat()}：{KIND_LABELS[entry.kind]} {entry.name}".rstrip())


def cmd_remove(platform, args):
    days = [_checked(parse_day, d) for d in args.dates]
    with platform.db.transaction() as session:
        count = remove_overrides(session, args.as_user, days, platform.clock())
    print(f"已删除 {count} 条调整")


def cmd_import(platform, args):
    path = Path(args.file)
    if not path.is_file():
        raise SystemExit(f"错误：文件 {path} 不存在")
    try:
        found = read_import(path.read_bytes(), path.name)
    except FormInvalid as err:
        raise _refused(err) from None
    except OSError as err:
        raise SystemExit(f"错误：无法读取文件 {path}（{err.strerror or '读取失败'}）") from None
    years = sorted(set(found.years) | {_checked(parse_year, y) for y in args.mark_year or []})
    with platform.db.transaction() as session:
        count = save_overrides(session, args.as_user, found.entries, platform.clock(), years)
    marked = f"，标记 {'、'.join(map(str, years))} 年安排已录入" if years else ""
    print(f"已导入 {count} 条调整{marked}")


def cmd_mark(platform, args):
    year = _checked(parse_year, args.year)
    with platform.db.transaction() as session:
        mark_year(session, args.as_user, year, not args.undo, platform.clock())
    print(f"已取消 {year} 年的已录入标记" if args.undo else f"已标记 {year} 年安排已录入")


def cmd_recompute(platform, args):
    with platform.db.transaction() as session:
        found = calendar_recompute.preview(platform, session, args.as_user)
        for change in found.changes:
            moves = "；".join(f"{label} {old} → {new}" for label, old, new in change.rows)
            print(f"  {change.case_no} {change.unit}：{moves}")
        if args.apply and found.changes:
            moved = calendar_recompute.apply(platform, session, args.as_user, found.token,
                                             {c.case_id for c in found.changes})
            print(f"已重新计算 {len(moved)} 件案件的期限（在办 {found.open_cases} 件）")
        else:
            print(f"在办 {found.open_cases} 件，{len(found.changes)} 件的期限会变化"
                  + ("；加 --apply 确认调整" if found.changes else ""))


def add_parser(sub) -> None:
    """The `calendar` command and its subcommands."""
    parser = sub.add_parser("calendar", help="工作日历：查看、录入调整、导入、重新计算期限")
    cal = parser.add_subparsers(dest="calendar_command", required=True)

    def command(name, func, help_text, edits=True) -> argparse.ArgumentParser:
        p = cal.add_parser(name, help=help_text)
        if edits:
            p.add_argument("--as", dest="as_user", default="admin", help="操作的管理员（默认 admin）")
        p.set_defaults(func=func)
        return p

    command("list", cmd_list, "列出一年的放假和调休上班日", edits=False).add_argument("year")
    p = command("set", cmd_set, "录入或修改一天：holiday（放假）或 workday（调休上班）")
    p.add_argument("date")
    p.add_argument("kind")
    p.add_argument("--name", default="")
    p.add_argument("--note", default="")
    command("remove", cmd_remove, "删除录入的调整").add_argument("dates", nargs="+")
    p = command("import", cmd_import, "从 CSV（date,kind,name,note）或 JSON 文件导入调整，一次事务")
    p.add_argument("file")
    p.add_argument("--mark-year", action="append", help="同时标记该年安排已录入（可重复）")
    p = command("mark", cmd_mark, "标记一年的安排已录入（不再提醒）")
    p.add_argument("year")
    p.add_argument("--undo", action="store_true", help="取消标记")
    command("recompute", cmd_recompute, "按当前日历预览在办案件期限的变化；加 --apply 确认调整").add_argument(
        "--apply", action="store_true")
