"""What a JSON client may send for a unit, group or person: each field's JSON type, and no other field.

Forms send text and workbooks send cells, which `fields` reads leniently ("是", "15", "a、b"). A
JSON client sends types, so a wrong one (true for a name, "yes" for `active`, "a" for a list) or
a field nobody reads is a mistake to point out, not a value to guess at.
"""

from .edits import OrgInvalid

TEXT = "text"
OPTIONAL = "optional"  # text, or null to clear it
FLAG = "flag"
WHOLE = "whole"
LIST = "list"  # of text
MAPPING = "mapping"  # text → text (a handover plan)

MESSAGES = {TEXT: "须为文字（JSON 字符串）", OPTIONAL: "须为文字（JSON 字符串），或以 null 清空",
            FLAG: "须为 true 或 false", WHOLE: "须为整数（JSON 数字，不加引号）",
            LIST: "须为文字的列表（JSON 数组，如 [\"a\", \"b\"]）",
            MAPPING: "须为对象（JSON，如 {\"任务编号\": \"pool\"}），值为文字"}

UNIT = {"code": TEXT, "name": TEXT, "short_name": OPTIONAL, "kind": TEXT, "head": OPTIONAL, "active": FLAG,
        "sort_order": WHOLE}
GROUP = {"code": TEXT, "name": TEXT, "kind": TEXT, "lead_unit": TEXT, "leader": OPTIONAL, "members": LIST,
         "active": FLAG, "sort_order": WHOLE}
# A record's code names it in the path: sent in a change it may only repeat it.
UNIT_CHANGE = {k: v for k, v in UNIT.items() if k != "code"}
GROUP_CHANGE = {k: v for k, v in GROUP.items() if k != "code"}
NEW_PERSON = {"login": TEXT, "name": TEXT, "unit": TEXT, "phone": OPTIONAL, "email": OPTIONAL, "roles": LIST,
              "member_of": LIST, "password": OPTIONAL}
# Unit, login and state are read so that a record sent back unchanged passes; changing them is refused
# by the service (they have their own actions).
PERSON = {"login": TEXT, "name": TEXT, "unit": TEXT, "phone": OPTIONAL, "email": OPTIONAL, "roles": LIST,
          "member_of": LIST, "active": FLAG}
RENAME = {"login": TEXT}
DEACTIVATE = {"handovers": MAPPING, "default": OPTIONAL}
MOVE = {"unit": TEXT, **DEACTIVATE}
NOTHING: dict[str, str] = {}
LABELS = {"handovers": "交接", "default": "统一交接", "username": "用户名", "leads": "担任组长",
          "kind_label": "类型名称"}


def _fits(value, kind: str) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    if kind == OPTIONAL:
        return value is None or isinstance(value, str)
    if kind == FLAG:
        return isinstance(value, bool)
    if kind == WHOLE:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def checked(raw: dict, shape: dict[str, str], labels: dict[str, str], shown: dict | None = None,
            changing: bool = False) -> dict:
    """The fields of `raw`, each of the JSON type `shape` gives it.

    Fields of `shown` (the record as the API returns it) that `shape` leaves out may be sent back
    unchanged, and are dropped. With `changing`, at least one field must be left to change.
    Raises OrgInvalid naming every field of the wrong type, unknown, or read-only but changed.
    """
    errors, names, kept = {}, {**LABELS, **labels}, {}
    for name, value in raw.items():
        if name in shape:
            if _fits(value, shape[name]):
                kept[name] = value
            else:
                errors[name] = MESSAGES[shape[name]]
        elif shown is not None and name in shown:
            if value != shown[name]:
                errors[name] = "不能在此修改"
        else:
            names.setdefault(name, name[:40])
            errors[name] = "不认识的字段"
    if changing and not kept and not errors:
        errors["organisation"] = "请求体没有要修改的字段（可修改：" + "、".join(names.get(n, n) for n in shape) + "）"
    if errors:
        raise OrgInvalid(errors, names)
    return kept
