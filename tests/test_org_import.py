"""The organisation workbook: export and import round trip, previews, refusals by sheet/row/column, size."""

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from engine.models import HumanTask
from workflows.models import User
from workflows.org_admin import people, units, workbook, workbook_import
from workflows.org_admin.workbook_import import ImportRefused
from workflows.org_admin.world import load
from workflows.organisation import SYSTEM
from workflows.services import claim_task

from .helpers import CASE, snapshot, start, task_of


def exported(platform) -> bytes:
    with platform.db.reading() as session:
        return workbook.export_workbook(session)


def plan(platform, data, by="admin"):
    with platform.db.reading() as session:
        return workbook_import.plan_import(session, by, data)


def run(platform, data, by="admin", digest=None):
    with platform.db.transaction() as session:
        return workbook_import.run_import(platform, session, by, data, digest)


def world(platform):
    with platform.db.reading() as session:
        return load(session)


def edited(data: bytes, change) -> bytes:
    """The workbook after `change(book)` edits it, as an office would in Excel."""
    book = load_workbook(BytesIO(data))
    change(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(sheet, column: int, value) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, column).value == value)


def test_export_then_import_changes_nothing(platform):
    with platform.db.transaction() as session:  # a little of everything the workbook carries
        units.create_unit(platform, session, "admin", {"code": "street_new", "name": "新区街道", "kind": "street",
                                                        "short_name": "新区", "sort_order": 5})
        people.create_person(platform, session, "admin", {
            "login": "wangwu", "name": "王五", "unit": "street_new", "phone": "0791-88886666",
            "email": "wangwu@example.cn", "roles": ["unit_head", "unit_staff"], "member_of": ["supervision"]})
        units.update_unit(platform, session, "admin", "street_new", {"head": "wangwu"})
        people.rename_person(platform, session, "admin", "unit2", "liuyang")
    before = world(platform)
    preview = plan(platform, exported(platform))
    assert preview.errors == [] and preview.counts == {"added": 0, "changed": 0, "deactivated": 0, "errors": 0,
                                                       "handovers": 0}
    run(platform, exported(platform))
    assert world(platform) == before


def test_template_has_the_three_sheets_with_notes_and_a_guide():
    book = load_workbook(BytesIO(workbook.template_workbook()))
    assert book.sheetnames == ["说明", "单位", "工作组", "人员"]
    headers = [c.value for c in book["人员"][1]]
    assert headers[:3] == ["账号*", "姓名*", "单位编码*"]
    assert all(c.comment is not None for c in book["单位"][1])
    assert book["单位"].max_row == 1


def test_a_workbook_with_one_bad_row_is_refused_naming_it_and_nothing_is_written(platform):
    def break_one(book):
        sheet = book["人员"]
        sheet.cell(row_of(sheet, 1, "unit"), 3).value = "no_such_unit"
        sheet.cell(row_of(sheet, 1, "unit2"), 2).value = "刘洋（已改名）"  # a good change beside it

    data = edited(exported(platform), break_one)
    bad_row = row_of(load_workbook(BytesIO(data))["人员"], 1, "unit")
    before, org = snapshot(platform), world(platform)
    preview = plan(platform, data)
    assert [(e.sheet, e.row, e.column, e.letter) for e in preview.errors] == [("人员", bad_row, "单位编码", "C")]
    assert "no_such_unit 不存在" in preview.errors[0].message
    assert str(preview.errors[0]).startswith(f"工作表“人员”第 {bad_row} 行“单位编码”列（C 列）")
    with pytest.raises(ImportRefused) as refused:
        run(platform, data)
    assert f"第 {bad_row} 行" in refused.value.message
    assert snapshot(platform) == before and world(platform) == org


BAD_CELLS = [
    # (sheet, key column, key, column to break, value, column header named, words of the message)
    ("单位", 1, "gov_data", 4, "银河局", "类型", "未知的单位类型"),
    ("单位", 1, "gov_data", 2, "区税务局", "名称", "与单位 tax 重复"),
    ("单位", 1, "gov_data", 2, None, "名称", "必填"),
    ("单位", 1, "gov_data", 5, "inspector", "负责人账号", "不属于本单位"),
    ("单位", 1, "gov_data", 6, "十", "排序", "整数"),
    ("工作组", 1, "start_business", 4, "court", "成员单位编码", "牵头单位须为成员单位之一"),
    ("工作组", 1, "start_business", 5, "nobody", "组长账号", "账号 nobody 不存在"),
    ("工作组", 1, "start_business", 3, "兴趣小组", "类型", "未知的工作组类型"),
    ("人员", 1, "unit", 5, "not-an-email", "邮箱", "邮箱格式不正确"),
    ("人员", 1, "unit", 6, "单位工作人员、宇航员", "角色", "未知的角色：宇航员"),
    ("人员", 1, "unit", 7, "no_group", "参加的工作组编码", "工作组不存在"),
    ("人员", 1, "unit", 1, "drafter", "账号", "与第"),
    ("人员", 1, "unit", 8, "也许", "状态", "启用"),
]


@pytest.mark.parametrize("sheet_name, key_col, key, col, value, header, words", BAD_CELLS)
def test_each_kind_of_bad_cell_is_named_by_sheet_row_and_column(sqlite_platform, sheet_name, key_col, key, col,
                                                                 value, header, words):
    edited_row = []

    def change(book):
        sheet = book[sheet_name]
        edited_row.append(row_of(sheet, key_col, key))
        sheet.cell(edited_row[0], col).value = value

    preview = plan(sqlite_platform, edited(exported(sqlite_platform), change))
    shown = [str(e) for e in preview.errors]
    assert {(e.sheet, e.column) for e in preview.errors} == {(sheet_name, header)}, shown
    assert any(e.row == edited_row[0] and words in e.message for e in preview.errors), shown


def test_not_a_workbook_or_a_workbook_missing_a_sheet_or_column_is_refused(sqlite_platform):
    for data, words in ((b"", "空的"), (b"PK\x03\x04 not really a zip", "不是有效的 Excel"),
                        (b"name,unit\n", "不是有效的 Excel")):
        with pytest.raises(ImportRefused) as refused:
            plan(sqlite_platform, data)
        assert words in refused.value.message
    book = Workbook()
    book.active.title = "单位"
    book["单位"].append(["编码", "名称"])
    out = BytesIO()
    book.save(out)
    preview = plan(sqlite_platform, out.getvalue())
    messages = {str(e) for e in preview.errors}
    assert "工作表“单位”第 1 行“类型”列：缺少必填列" in messages
    assert "工作表“人员”：缺少工作表“人员”" in messages


def test_preview_shows_additions_changes_and_deactivations_then_the_import_writes_them(platform):
    rectify = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
    taxes = task_of(start(platform, "inspector", "rectification", {**CASE, "responsible_unit": "tax"}), "rectify")
    with platform.db.transaction() as session:
        claim_task(platform, session, "unit2", taxes)
        claim_task(platform, session, "unit", rectify)

    def change(book):
        sheet = book["单位"]
        sheet.cell(row_of(sheet, 1, "gov_data"), 3).value = "政数局"
        book["人员"].append(["zhaoliu", "赵六", "gov_data", "13800000000", None, "单位工作人员", None, "启用"])
        sheet = book["人员"]
        sheet.delete_rows(row_of(sheet, 1, "unit2"))  # left out: deactivated
        sheet.cell(row_of(sheet, 1, "unit"), 3).value = "tax"  # moved

    data = edited(exported(platform), change)
    preview = plan(platform, data)
    assert preview.errors == []
    assert [(c.sheet, c.key) for c in preview.added] == [("人员", "zhaoliu")]
    changed = {(c.sheet, c.key): c.fields for c in preview.changed}
    assert changed[("单位", "gov_data")] == [("简称", "", "政数局")]
    assert changed[("人员", "unit")] == [("单位编码", "gov_data", "tax")]
    assert [(c.sheet, c.key, c.row) for c in preview.deactivated] == [("人员", "unit2", None)]
    assert preview.handovers == {"unit2": 1, "unit": 1}
    with pytest.raises(ImportRefused):  # someone changed the organisation after the preview
        with platform.db.transaction() as session:
            units.update_unit(platform, session, "admin", "tax", {"short_name": "税务"})
        run(platform, data, digest=preview.digest)
    fresh = plan(platform, data)
    run(platform, data, digest=fresh.digest)
    org = world(platform)
    assert org.units["gov_data"].short_name == "政数局" and org.people["unit"].unit == "tax"
    assert not org.people["unit2"].active and org.people["zhaoliu"].unit == "gov_data"
    with platform.db.reading() as session:
        held = session.scalars(select(HumanTask).where(HumanTask.status == "open",
                                                       HumanTask.assignee.in_(["unit", "unit2"]))).all()
        assert held == []
        assert session.scalars(select(User.password_hash).where(User.username == "zhaoliu")).one() == "!"


def test_an_import_may_not_switch_off_whoever_runs_it_or_the_last_admin(sqlite_platform):
    def drop_admin(book):
        sheet = book["人员"]
        sheet.cell(row_of(sheet, 1, "admin"), 8).value = "停用"

    preview = plan(sqlite_platform, edited(exported(sqlite_platform), drop_admin))
    messages = " ".join(str(e) for e in preview.errors)
    assert "导入后至少须保留一名在用的系统管理员" in messages and "导入将停用当前登录的账号 admin" in messages


def test_two_thousand_people_import_in_one_transaction(platform):
    def many(book):
        sheet = book["人员"]
        for n in range(2000):
            sheet.append([f"staff{n:04d}", f"工作人员{n}", "gov_data", f"1380000{n:04d}", f"s{n}@example.cn",
                          "单位工作人员", "start_business", "启用"])

    data = edited(exported(platform), many)
    broken = edited(data, lambda book: book["人员"].cell(book["人员"].max_row, 3, "mars"))
    with pytest.raises(ImportRefused) as refused:
        run(platform, broken)
    assert [e.row for e in refused.value.errors] == [load_workbook(BytesIO(broken))["人员"].max_row]
    assert len(world(platform).people) < 100  # the 1999 good rows before it were not written either
    done = run(platform, data, by=SYSTEM)
    assert done.counts["added"] == 2000
    org = world(platform)
    assert sum(1 for p in org.people.values() if p.login.startswith("staff")) == 2000
    assert org.people["staff1999"].member_of == ("start_business",)
    assert plan(platform, exported(platform)).counts["changed"] == 0
