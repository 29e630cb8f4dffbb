"""The organisation as an Excel workbook: one sheet per table, as exported and as imported.

The same column definitions write the export and the template and read an import, so a
workbook exported and imported again changes nothing. People are named by their login
(账号), units and groups by their codes (编码); kinds, roles and states by their Chinese labels.
"""

from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from ..organisation import GROUP_KINDS, UNIT_KINDS
from . import fields as f
from .people import PERSON_ROLES
from .world import GroupSpec, PersonSpec, UnitSpec, World, load

ACTIVE, INACTIVE = "启用", "停用"


@dataclass(frozen=True)
class Column:
    field: str  # the field of the spec (and of the services' raw dictionaries)
    header: str
    width: int
    note: str
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    table: str
    title: str
    columns: tuple[Column, ...]

    def column(self, field: str) -> Column | None:
        return next((c for c in self.columns if c.field == field), None)


STATE = Column("active", "状态", 8, "“启用”或“停用”；留空为启用。工作簿中没有的记录导入后将停用。",
               choices=(ACTIVE, INACTIVE))
ORDER = Column("sort_order", "排序", 8, "整数，越小越靠前；留空为 0。")
UNITS = Sheet("unit", "单位", (
    Column("code", "编码", 20, "单位的唯一编码：字母、数字、下划线、点、连字符；导入时据此识别单位，已有单位请勿修改。",
           required=True),
    Column("name", "名称", 36, "单位全称，不能与其他单位重名。", required=True),
    Column("short_name", "简称", 16, "可留空。"),
    Column("kind", "类型", 14, "可选：" + "、".join(UNIT_KINDS.values()), required=True,
           choices=tuple(UNIT_KINDS.values())),
    Column("head", "负责人账号", 16, "单位负责人的账号（见“人员”表），须为本单位在用人员；可留空。"),
    ORDER, STATE))
GROUPS = Sheet("group", "工作组", (
    Column("code", "编码", 28, "工作组的唯一编码；导入时据此识别工作组，已有工作组请勿修改。", required=True),
    Column("name", "名称", 30, "工作组全称，不能与其他工作组重名。", required=True),
    Column("kind", "类型", 14, "可选：" + "、".join(GROUP_KINDS.values()), required=True,
           choices=tuple(GROUP_KINDS.values())),
    Column("lead_unit", "牵头单位编码", 18, "牵头单位的编码（见“单位”表）。", required=True),
    Column("leader", "组长账号", 22, "组长的账号（见“人员”表）；组长据此获得本组的审批权限。可留空。"),
    Column("members", "成员单位编码", 50, "成员单位的编码，用顿号“、”或逗号分隔；须包含牵头单位。"),
    ORDER, STATE))
PEOPLE = Sheet("person", "人员", (
    Column("login", "账号", 22, "登录用的账号：字母、数字、下划线、点、@、连字符；导入时据此识别人员。", required=True),
    Column("name", "姓名", 12, "", required=True),
    Column("unit", "单位编码", 20, "所在单位的编码（见“单位”表）。", required=True),
    Column("phone", "电话", 16, "可留空。"),
    Column("email", "邮箱", 26, "可留空；填写后可收到邮件通知。"),
    Column("roles", "角色", 30, "多个用顿号“、”分隔，可选：" + "、".join(PERSON_ROLES.values())),
    Column("member_of", "参加的工作组编码", 30, "以成员身份参加的工作组编码，用顿号分隔；组长在“工作组”表中指定。"),
    STATE))
SHEETS = (UNITS, GROUPS, PEOPLE)
GUIDE = [
    "营商通办 组织机构工作簿",
    "“单位”“工作组”“人员”三张表描述整个组织机构；导入时整本校验，有任何错误都不会写入。",
    "以编码（单位、工作组）和账号（人员）识别记录：表中新出现的将新增，已有的按表中内容修改，表中没有的将停用（不会删除）。",
    "标题带批注的列说明了可填写的内容；带 * 的列必填。请勿修改标题行。",
    "导入前会先显示预览：将新增、修改、停用哪些记录，以及每个错误所在的工作表、行和列。确认后一次性写入。",
    "停用或调动人员时，其名下待办按默认规则交接：停用人员的待办退回单位待签收；调动人员已签收的本单位待办退回原单位待签收。",
    "新增的人员尚无密码，需由管理员设置初始密码后才能登录。",
]
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _cell(spec, column: Column, world: World):
    """A field of a record as the workbook writes it."""
    value = getattr(spec, column.field)
    people = world.people
    if column.field == "active":
        return ACTIVE if value else INACTIVE
    if column.field == "kind":
        return (UNIT_KINDS if isinstance(spec, UnitSpec) else GROUP_KINDS).get(value, value)
    if column.field in ("head", "leader"):
        return people[value].login if value in people else value
    if column.field == "roles":
        return f.listing(value, PERSON_ROLES) or None
    if column.field in ("members", "member_of"):
        return "、".join(value) or None
    return value


def _rows(world: World, sheet: Sheet) -> list:
    if sheet is UNITS:
        records = sorted(world.units.values(), key=lambda u: (u.sort_order, u.kind, u.code))
    elif sheet is GROUPS:
        records = sorted(world.groups.values(), key=lambda g: (g.sort_order, g.kind, g.code))
    else:
        records = sorted(world.people.values(), key=lambda p: (p.unit, p.login))
    return [[_cell(r, c, world) for c in sheet.columns] for r in records]


def write_workbook(world: World | None) -> bytes:
    """The workbook of `world`, or the empty template when it is None."""
    book = Workbook()
    guide = book.active
    guide.title = "说明"
    for line in GUIDE:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 120
    for sheet in SHEETS:
        _write_sheet(book.create_sheet(sheet.title), sheet, _rows(world, sheet) if world else [])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(ws, sheet: Sheet, rows: list) -> None:
    ws.append([c.header + ("*" if c.required else "") for c in sheet.columns])
    for n, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=n)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        if column.note:
            cell.comment = Comment(column.note, "营商通办", width=320, height=120)
        letter = get_column_letter(n)
        ws.column_dimensions[letter].width = column.width
        if column.choices:
            check = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
            check.error, check.errorTitle = "请从下拉列表中选择", column.header
            check.add(f"{letter}2:{letter}5000")
            ws.add_data_validation(check)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"


def export_workbook(session: Session) -> bytes:
    """The whole organisation as it is now."""
    return write_workbook(load(session))


def template_workbook() -> bytes:
    """The empty workbook an office fills in: headers with their notes, and the guide."""
    return write_workbook(None)


def spec_cell_text(spec: UnitSpec | GroupSpec | PersonSpec, field: str, world: World) -> str:
    """A field as the workbook (and the import preview) shows it."""
    sheet = {UnitSpec: UNITS, GroupSpec: GROUPS, PersonSpec: PEOPLE}[type(spec)]
    column = sheet.column(field)
    value = _cell(spec, column, world) if column else getattr(spec, field)
    return "" if value is None else str(value)
