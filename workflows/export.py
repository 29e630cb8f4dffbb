"""The rectification ledger as a report: all filtered rows, their statistics and the Excel workbook."""

from dataclasses import dataclass, replace
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.clock import as_utc

from .models import RectificationCase
from .organisation import group_names, unit_names, user_names
from .platform import LOCAL_TZ
from .rectification import SOURCE_LABELS, STATUS_LABELS, LedgerFilter, case_deadline, ledger, ledger_query

# (header, width) of each column, in order; the headers are what the offices print.
COLUMNS = [("案件编号", 16), ("问题来源", 12), ("问题描述", 50), ("涉及指标", 16), ("责任单位", 18),
           ("督查人员", 10), ("整改期限", 12), ("期限状态", 16), ("状态", 10), ("整改轮次", 10),
           ("登记时间", 18), ("销号时间", 18), ("最近核查意见", 40)]
DATE_FORMAT, TIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
FILLS = {"overdue": PatternFill("solid", fgColor="F8D7DA"), "warning": PatternFill("solid", fgColor="FFF3CD")}


@dataclass(frozen=True)
class LedgerStats:
    """Counts over every case a filter shows: total, closed (销号) and overdue (超期)."""

    total: int
    closed: int
    overdue: int

    @property
    def closed_rate(self) -> float | None:
        """整改完成率 as a fraction, or None when there are no cases."""
        return self.closed / self.total if self.total else None


def ledger_stats(session: Session, user, flt: LedgerFilter, today: date) -> LedgerStats:
    """Statistics of the cases `user` may see under `flt`, over all pages."""
    rows = ledger_query(user, flt, today).subquery()
    overdue = (rows.c.status == "rectifying") & (rows.c.due_on < today)
    total, closed, late = session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((rows.c.status == "closed", 1), else_=0)), 0),
        func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
    ).select_from(rows)).one()
    return LedgerStats(int(total), int(closed), int(late))


def all_cases(session: Session, user, flt: LedgerFilter, today: date) -> list[RectificationCase]:
    """Every case `user` may see under `flt`, not one page of them, newest first."""
    rows, _total = ledger(session, user, replace(flt, limit=None, offset=0), today)
    return rows


def _local(value: datetime | None) -> datetime | None:
    # Excel has no time zones: write the time as it reads in China.
    return as_utc(value).astimezone(LOCAL_TZ).replace(tzinfo=None) if value else None


def ledger_workbook(session: Session, user, flt: LedgerFilter, today: date) -> bytes:
    """An .xlsx of exactly the cases `flt` shows to `user`, with Chinese headers and real date cells."""
    units, groups, people = unit_names(session), group_names(session), user_names(session)
    book = Workbook()
    sheet = book.active
    sheet.title = "整改台账"
    sheet.append([header for header, _width in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row, item in enumerate(all_cases(session, user, flt, today), start=2):
        mark = case_deadline(item, today)
        sheet.append([
            item.case_no, SOURCE_LABELS.get(item.source, item.source), item.description,
            groups.get(item.indicator, item.indicator), units.get(item.responsible_unit, item.responsible_unit),
            people.get(item.inspector, item.inspector), item.due_on, mark.label if mark else None,
            STATUS_LABELS.get(item.status, item.status), item.rounds, _local(item.opened_at),
            _local(item.closed_at), item.last_opinion,
        ])
        sheet.cell(row, 7).number_format = DATE_FORMAT
        sheet.cell(row, 11).number_format = sheet.cell(row, 12).number_format = TIME_FORMAT
        sheet.cell(row, 3).alignment = sheet.cell(row, 13).alignment = Alignment(wrap_text=True, vertical="top")
        if mark and mark.level in FILLS:
            sheet.cell(row, 8).fill = FILLS[mark.level]
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
