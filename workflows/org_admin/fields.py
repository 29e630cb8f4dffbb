"""Reading one field of a unit, group or person from what a form, the API, the CLI or a cell sent.

Each reader takes the raw value (a string from a form, a number or list from JSON, whatever an
Excel cell holds) and returns the clean value, or raises FieldError with a Chinese message.
"""

import re
from collections.abc import Iterable

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{2,28}[0-9]$")
SEPARATORS = re.compile(r"[、,，;；\n]+")
TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "启用", "在用", "有效", "在职"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "停用", "禁用", "无效", "离职"}
MAX_SORT = 1_000_000
MAX_ITEMS = 500  # roles, groups or units in one list: far more than any office has


class FieldError(ValueError):
    """A value that cannot be taken; its message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text(value, required: bool = False, max_len: int = 100) -> str | None:
    """Trimmed text, or None when blank. Raises FieldError when required and blank, or too long."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps numbers typed into a cell as floats
    if isinstance(value, bool) or isinstance(value, list | dict):
        raise FieldError("须为文字")
    clean = "" if value is None else " ".join(str(value).split())
    if not clean:
        if required:
            raise FieldError("必填")
        return None
    if len(clean) > max_len:
        raise FieldError(f"不能超过 {max_len} 个字")
    return clean


def code(value, required: bool = True) -> str | None:
    """A unit or group code. Raises FieldError."""
    clean = text(value, required, 64)
    if clean is not None and not CODE.match(clean):
        raise FieldError("编码只能由字母、数字、下划线、点和连字符组成，并以字母或数字开头")
    return clean


def login(value, required: bool = True) -> str | None:
    """A sign-in name. Raises FieldError."""
    clean = text(value, required, 100)
    if clean is not None and not LOGIN.match(clean):
        raise FieldError("账号只能由字母、数字、下划线、点、@ 和连字符组成，并以字母或数字开头")
    return clean


def email(value) -> str | None:
    clean = text(value, False, 200)
    if clean is not None and not EMAIL.match(clean):
        raise FieldError("邮箱格式不正确")
    return clean


def phone(value) -> str | None:
    clean = text(value, False, 30)
    if clean is not None and not PHONE.match(clean):
        raise FieldError("电话只能包含数字、空格、括号、+ 和连字符")
    return clean


def flag(value, default: bool = True) -> bool:
    """启用/停用, 是/否, true/false, 1/0. Raises FieldError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    word = str(int(value) if isinstance(value, float) and value.is_integer() else value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError("须为“启用”或“停用”")


def number(value, default: int = 0) -> int:
    """A sort order: a whole number from 0 to a million. Raises FieldError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        raise FieldError("须为整数")
    if isinstance(value, str):  # ASCII digits only: Python's int() also reads "１", "1_0" and "+1"
        clean = value.strip()
        result = int(clean) if clean.isascii() and clean.isdigit() and len(clean) <= 12 else None
    elif isinstance(value, int) or isinstance(value, float) and value.is_integer():
        result = int(value)
    else:
        result = None
    if result is None or not 0 <= result <= MAX_SORT:
        raise FieldError(f"须为 0 到 {MAX_SORT} 之间的整数")
    return result


def items(value) -> list[str]:
    """A list given as a list, or as text separated by 、 , ; or new lines. Raises FieldError."""
    if value is None:
        return []
    if not isinstance(value, list | tuple | set | frozenset):
        value = SEPARATORS.split(str(value))
    if len(value) > MAX_ITEMS:
        raise FieldError(f"最多 {MAX_ITEMS} 项")
    parts = [text(v, False, 200) for v in value]
    return list(dict.fromkeys(p for p in parts if p))


def choice(value, labels: dict[str, str], what: str, aliases: dict[str, str] | None = None,
           required: bool = True) -> str | None:
    """A code of `labels`, given as the code or its Chinese label. Raises FieldError."""
    clean = text(value, required, 40)
    if clean is None:
        return None
    found = lookup(clean, labels, aliases)
    if found is None:
        raise FieldError(f"未知的{what}“{clean}”，可选：{'、'.join(labels.values())}")
    return found


def choices(value, labels: dict[str, str], what: str, aliases: dict[str, str] | None = None) -> list[str]:
    """Several codes of `labels`, each given as code or label. Raises FieldError naming every unknown one."""
    found, unknown = [], []
    for part in items(value):
        code_ = lookup(part, labels, aliases)
        (found if code_ else unknown).append(code_ or part)
    if unknown:
        raise FieldError(f"未知的{what}：{some(unknown)}；可选：{'、'.join(labels.values())}")
    return list(dict.fromkeys(found))


def some(values: list[str], shown: int = 10) -> str:
    """The first `shown` of `values` joined, and how many more: a message never echoes a whole list sent."""
    more = f" 等 {len(values)} 项" if len(values) > shown else ""
    return "、".join(str(v)[:40] for v in values[:shown]) + more


def lookup(word: str, labels: dict[str, str], aliases: dict[str, str] | None = None) -> str | None:
    if word in labels:
        return word
    by_label = {label: key for key, label in labels.items()}
    return by_label.get(word) or (aliases or {}).get(word)


def listing(values: Iterable[str], labels: dict[str, str]) -> str:
    """Codes as their labels, joined the way a cell or a page shows them."""
    return "、".join(labels.get(v, v) for v in values)
