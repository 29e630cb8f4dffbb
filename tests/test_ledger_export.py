"""整改台账 export: exactly the filtered rows, every page of them, as a readable .xlsx; and the page's statistics."""

from datetime import date, datetime, timedelta
from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from web import create_app
from workflows.export import COLUMNS, ledger_stats
from workflows.models import RectificationCase
from workflows.organisation import require_user
from workflows.rectification import LedgerFilter

from .helpers import CASE, RECTIFIED, complete, start, task_of

HEADERS = [header for header, _width in COLUMNS]


def open_cases(platform):
    """Five cases: three of gov_data (one closed, one overdue), two of tax from the hotline."""
    first = start(platform, "inspector", "rectification", CASE)
    out = complete(platform, "unit", task_of(first, "rectify"), RECTIFIED)
    complete(platform, "inspector", task_of(out, "verify"), {"decision": "pass", "opinion": "整改到位"})
    back = timedelta(days=40)
    start(platform.at(lambda: platform.clock() - back), "inspector", "rectification",
          {**CASE, "description": "超期未改的问题"})
    start(platform, "inspector", "rectification", {**CASE, "indicator": "gov_services"})
    for n in range(2):
        start(platform, "inspector", "rectification",
              {**CASE, "responsible_unit": "tax", "source": "hotline", "indicator": "taxation",
               "description": f"12345热线反映的退税问题{n}"})


def client_for(platform, user, **config):
    app = create_app({"PLATFORM": platform, "SECRET_KEY": "t", "TESTING": True, "WTF_CSRF_ENABLED": False,
                      **config})
    client = app.test_client()
    client.post("/login", data={"username": user, "password": "demo12345"})
    return client


def sheet_rows(response) -> list[list]:
    sheet = load_workbook(BytesIO(response.data))["整改台账"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def case_nos(platform, **where) -> list[str]:
    query = select(RectificationCase.case_no).order_by(RectificationCase.id.desc())
    for column, value in where.items():
        query = query.where(getattr(RectificationCase, column) == value)
    with platform.db.reading() as session:
        return list(session.scalars(query))


@pytest.mark.parametrize("user,query,where", [
    ("inspector", "", {}),
    ("office", "unit=tax", {"responsible_unit": "tax"}),
    ("office", "source=hotline&indicator=taxation", {"source": "hotline"}),
    ("office", "status=closed", {"status": "closed"}),
    ("office", "indicator=gov_services", {"indicator": "gov_services"}),
    ("unit", "", {"responsible_unit": "gov_data"}),
    ("unit2", "source=undercover", {"responsible_unit": "nobody"}),
])
def test_export_has_exactly_the_filtered_rows_of_every_page(platform, user, query, where):
    open_cases(platform)
    client = client_for(platform, user, PAGE_SIZE=2)  # the page shows two; the export must show all
    response = client.get(f"/ledger/export.xlsx?{query}&page=2")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = sheet_rows(response)
    assert rows[0] == HEADERS
    assert [row[0] for row in rows[1:]] == case_nos(platform, **where)


def test_export_of_overdue_cases_only(platform):
    open_cases(platform)
    rows = sheet_rows(client_for(platform, "inspector").get("/ledger/export.xlsx?overdue=1"))
    assert [row[2] for row in rows[1:]] == ["超期未改的问题"]
    assert rows[1][7].startswith("超期") and rows[1][8] == "整改中"


def test_export_cells_are_labelled_and_dated(platform):
    open_cases(platform)
    rows = sheet_rows(client_for(platform, "inspector").get("/ledger/export.xlsx?status=closed"))
    [closed] = rows[1:]
    row = dict(zip(HEADERS, closed, strict=True))
    assert (row["问题来源"], row["涉及指标"], row["责任单位"]) == ("明察暗访", "开办企业指标组", "区政数局")
    assert row["督查人员"] == "赵强"
    assert (row["状态"], row["整改轮次"], row["期限状态"], row["最近核查意见"]) == ("已销号", 0, None, "整改到位")
    assert isinstance(row["整改期限"], datetime) and isinstance(row["登记时间"], datetime)
    assert row["整改期限"].date() > date(2020, 1, 1) and isinstance(row["销号时间"], datetime)
    sheet = load_workbook(BytesIO(client_for(platform, "inspector").get("/ledger/export.xlsx").data)).active
    assert sheet["G2"].number_format == "yyyy-mm-dd" and sheet["K2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet.freeze_panes == "A2"


def test_export_file_name_is_chinese_with_an_ascii_fallback(sqlite_platform):
    response = client_for(sqlite_platform, "office").get("/ledger/export.xlsx")
    disposition = response.headers["Content-Disposition"]
    today = sqlite_platform.today().strftime("%Y%m%d")
    assert disposition.startswith("attachment; ")
    assert f'filename="rectification-ledger-{today}.xlsx"' in disposition
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == f"整改台账-{today}.xlsx"
    assert sheet_rows(response) == [HEADERS]


def test_export_needs_a_login(sqlite_platform):
    app = create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "t", "TESTING": True})
    assert app.test_client().get("/ledger/export.xlsx").status_code == 302


def test_statistics_count_every_page_of_the_filter(platform):
    open_cases(platform)
    with platform.db.reading() as session:
        inspector, unit = require_user(session, "inspector"), require_user(session, "unit")
        today = platform.today()
        everything = ledger_stats(session, inspector, LedgerFilter(limit=1), today)
        own = ledger_stats(session, unit, LedgerFilter(limit=1), today)
        tax = ledger_stats(session, inspector, LedgerFilter(unit="tax"), today)
    assert (everything.total, everything.closed, everything.overdue) == (5, 1, 1)
    assert everything.closed_rate == pytest.approx(0.2)
    assert (own.total, own.closed, own.overdue) == (3, 1, 1)
    assert (tax.total, tax.closed, tax.closed_rate) == (2, 0, 0)
    with platform.db.reading() as session:
        empty = ledger_stats(session, unit, LedgerFilter(unit="tax"), today)
    assert (empty.total, empty.closed_rate) == (0, None)


def test_ledger_page_shows_statistics_marks_and_pages(sqlite_platform):
    open_cases(sqlite_platform)
    client = client_for(sqlite_platform, "inspector", PAGE_SIZE=2)
    page = client.get("/ledger/").get_data(as_text=True)
    assert 'id="stat-total">5<' in page and 'id="stat-rate">20.0%<' in page and 'id="stat-overdue">1<' in page
    assert page.count("data-case-id=") == 2
    overdue = client.get("/ledger/?overdue=1").get_data(as_text=True)
    assert "table-danger" in overdue and "超期未改的问题" in overdue and "badge bg-danger" in overdue
    assert client.get("/ledger/?page=3").get_data(as_text=True).count("data-case-id=") == 1
    # The export link carries the page's filters but not its page number.
    filtered = client.get("/ledger/?source=hotline&overdue=1&page=2").get_data(as_text=True)
    link = filtered.split('id="ledger-export" href="')[1].split('"')[0].replace("&amp;", "&")
    assert link.startswith("/ledger/export.xlsx?") and "source=hotline" in link and "overdue=1" in link
    assert "page=" not in link
    unit_page = client_for(sqlite_platform, "unit2").get("/ledger/").get_data(as_text=True)
    assert 'id="stat-total">2<' in unit_page and 'id="stat-rate">0.0%<' in unit_page
    empty = client_for(sqlite_platform, "leader").get("/ledger/").get_data(as_text=True)
    assert 'id="stat-rate">—<' in empty and "暂无案件" in empty
