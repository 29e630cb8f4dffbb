"""What a request may carry: text without control characters, numbers in range, strict JSON.

These are rules, not request handling: `web.input_guard` applies them to every request before a
view runs, and views use the number parsers for values they read themselves. A value that breaks
a rule raises `Refusal`, an HTTP error with a message for people, which `web.errors` answers as
JSON under /api and as the error page elsewhere.
"""

import json
import math
import re

from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

# The databases' ids and versions are 32-bit signed integers (PostgreSQL's `integer`).
MAX_ID = 2**31 - 1
# Integers beyond this lose precision in JavaScript and in many JSON parsers (RFC 8259, section 6).
MAX_JSON_INT = 2**53 - 1
MAX_JSON_DEPTH = 32
# NUL is refused by PostgreSQL; other C0 controls (tab, line feed and carriage return aside) and lone
# surrogates (which cannot be encoded in UTF-8) have no place in text people type.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() and int() also take "１" and "٣"


class Refusal(HTTPException):
    """A request refused for what it carries, with a message for people (Chinese first)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class JSONRefused(ValueError):
    """JSON that parses but that the product does not take (too deep, duplicate keys, bad text)."""


def forbidden_char(value: str) -> str | None:
    """The first control character or lone surrogate in `value`, as "U+0000"; None when there is none."""
    found = _FORBIDDEN.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def check_text(value: str, where: str) -> None:
    """Raises Refusal (400) when `value` holds a control character or a lone surrogate."""
    code = forbidden_char(value)
    if code:
        raise Refusal(400, bad_char_message(where, code))


def bad_char_message(where: str, code: str) -> str:
    return _("%(where)s含有不允许的字符（%(code)s）", where=where, code=code)


def shown(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters with forbidden ones replaced, safe to quote in a message."""
    return _FORBIDDEN.sub("\ufffd", text[:limit])


def bounded_int(raw, what: str, minimum: int = 1, maximum: int = MAX_ID) -> int:
    """`raw` (an int, or ASCII digits) as an integer from `minimum` to `maximum`.

    Booleans, floats, signs, spaces, full-width digits and anything out of range raise Refusal (400).
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw) if len(raw) <= 12 else maximum + 1
    else:
        raise Refusal(400, _("%(what)s须为用数字 0–9 写成的整数", what=what))
    if not minimum <= value <= maximum:
        raise Refusal(400, _("%(what)s须为 %(min)s 到 %(max)s 之间的整数", what=what, min=minimum, max=maximum))
    return value


def version_from_if_match(header: str) -> int | None:
    """The instance version an If-Match header names: `3`, `"3"` or `W/"3"`; `*` names none.

    Raises Refusal (400) for anything else, lists of tags included.
    """
    tag = header.strip()
    if tag == "*":
        return None
    tag = tag.removeprefix("W/")
    if len(tag) >= 2 and tag[0] == tag[-1] == '"':
        tag = tag[1:-1]
    return version_number(tag, "If-Match")


def version_number(raw, what: str) -> int:
    """An instance version a client names (0 is allowed: it never exists, so it is simply stale).

    Raises Refusal (400) for anything but a whole number from 0 to MAX_ID.
    """
    return bounded_int(raw, what, minimum=0)


def loads_strict(text: str | bytes):
    """Parse JSON as the product takes it: UTF-8, at most MAX_JSON_DEPTH levels deep, no duplicate keys,
    no NaN or Infinity, integers within ±MAX_JSON_INT, and text that passes check_text.

    Raises JSONRefused, UnicodeDecodeError or json.JSONDecodeError (all ValueError) for anything else.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                           parse_float=_finite_float, parse_int=_json_int)
    except RecursionError:
        raise JSONRefused(_("JSON 嵌套超过 %(n)s 层", n=MAX_JSON_DEPTH)) from None
    _check_tree(value)
    return value


def _unique_keys(pairs: list) -> dict:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen = set()
        duplicate = next(k for k, _v in pairs if k in seen or seen.add(k))
        raise JSONRefused(_("JSON 对象的键“%(key)s”重复", key=shown(duplicate, 50)))
    return found


def _no_constant(name: str):
    raise JSONRefused(_("JSON 中不允许 %(name)s", name=name))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused(_("数值 %(text)s 超出范围", text=text[:30]))
    return value


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_JSON_INT:
        raise JSONRefused(_("整数 %(text)s 超出范围（绝对值至多 %(max)s）", text=text[:30], max=MAX_JSON_INT))
    return int(text)


def _check_tree(value) -> None:
    """Depth and text of a parsed document, walked without recursion; messages name the field."""
    stack = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            _check_json_text(item, path)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise JSONRefused(_("JSON 嵌套超过 %(n)s 层", n=MAX_JSON_DEPTH))
        if isinstance(item, dict):
            for key, child in item.items():
                _check_json_text(key, path)
                stack.append((child, depth + 1, f"{path}.{key}" if path else key))
        else:
            stack.extend((child, depth + 1, f"{path}[{n}]") for n, child in enumerate(item))


def _check_json_text(text: str, path: str) -> None:
    code = forbidden_char(text)
    if code:
        where = _("字段 %(name)s ", name=shown(path)) if path else _("JSON 文本")
        raise JSONRefused(bad_char_message(where, code))
