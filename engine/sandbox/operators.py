"""Operators that cannot run long or allocate much: each result's size is estimated before it is made.

`**`, `*` and `<<` on integers are refused past `MAX_INT_BITS`; `*` and `+` on strings, lists and
tuples count their result as memory; `%` and f-strings check their widths and the text they
make; set and dictionary operators count their operands. Comparisons of containers cost what
walking the smaller one costs, and `in` over a range or iterator iterates with ticks.
"""

import operator
import re
from datetime import date, time

from ..errors import ScriptLimitExceeded, ScriptRefused
from .iteration import MATERIALIZED, check_key, materialize, ticking
from .limits import MAX_INT_BITS, MAX_OP_COST, MAX_WIDTH, current
from .sizes import CONTAINERS, count, pair_cost, text_size
from .static import power_bits

INTS = frozenset({int, bool})
NUMBERS = frozenset({int, bool, float})
SEQUENCES = frozenset({str, list, tuple})
SETS = frozenset({set, frozenset, dict, type({}.keys()), type({}.items())})
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<<": operator.lshift,
          ">>": operator.rshift, "|": operator.or_, "^": operator.xor, "&": operator.and_, "@": operator.matmul}
INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
           "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
           ">>=": operator.irshift, "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand,
           "@=": operator.imatmul}
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?")


def binary(symbol: str, a, b):
    """`a <symbol> b`, refused or counted first when its result could be large."""
    if type(a) in NUMBERS and type(b) in NUMBERS:
        if symbol in ("*", "**", "<<") and type(a) in INTS and type(b) in INTS:
            _check_int(symbol, a, b)
        return BINARY[symbol](a, b)
    return BINARY[symbol](*_checked(symbol, a, b))


def inplace(symbol: str, a, b):
    """`a <symbol>= b` for a name, with the same checks; lists, sets and dictionaries change in place."""
    plain = symbol[:-1]
    if type(a) in NUMBERS and type(b) in NUMBERS:
        return binary(plain, a, b)
    return INPLACE[symbol](*_checked(plain, a, b))


def _check_int(symbol, a, b):
    if symbol == "*":
        bits = a.bit_length() + b.bit_length()
    elif symbol == "<<":
        bits = a.bit_length() + b
    elif b < 0 or abs(a) <= 1:
        return
    else:
        bits = power_bits(a.bit_length(), abs(a), b)
    if bits > MAX_INT_BITS:
        current().stop(ScriptLimitExceeded(f"整数超出上限（{MAX_INT_BITS} 位二进制）"))


def _checked(symbol, a, b) -> tuple:
    """The operands to compute with, after counting what computing would cost."""
    budget, kind_a, kind_b = current(), type(a), type(b)
    if symbol == "*" and (kind_a in SEQUENCES and kind_b in INTS or kind_b in SEQUENCES and kind_a in INTS):
        sequence, times = (a, b) if kind_a in SEQUENCES else (b, a)
        budget.cost(len(sequence) * max(times, 0))
        budget.allocate(_item_bytes(sequence) * len(sequence) * max(times, 0))
    elif symbol == "+" and kind_a in SEQUENCES and kind_b in SEQUENCES:
        budget.cost(len(a) + len(b))
        budget.allocate(_item_bytes(a) * len(a) + _item_bytes(b) * len(b))
        if kind_a is list and kind_b not in MATERIALIZED:
            b = materialize(b)
    elif symbol == "+" and kind_a is list:  # `l += range(10**9)` extends from any iterable
        b = materialize(b)
    elif symbol == "%" and kind_a is str:
        _check_percent(a, b)
    elif kind_a in SETS or kind_b in SETS:
        if kind_b not in MATERIALIZED:  # `d.keys() & range(10**18)` iterates its right side in C
            b = materialize(b)
        if tuple in set(map(type, b)):
            for key in b:
                check_key(key)
        budget.cost(len(a) + len(b))
        budget.allocate(64 * (len(a) + len(b)))
    return a, b


def _item_bytes(sequence) -> int:
    return 8 if type(sequence) is not str else 1 if sequence.isascii() else 4


def _check_percent(template: str, values) -> None:
    widths = 0
    for width, precision in _PERCENT.findall(template):
        for number in (width, precision):
            if number == "*":
                current().stop(ScriptRefused("% 格式化不支持 * 宽度，请写明数字"))
            widths += _width(number)
    current().allocate(len(template) + widths + text_size(values))


def _width(digits: str) -> int:
    if len(digits) > 4 or digits and int(digits) > MAX_WIDTH:
        current().stop(ScriptLimitExceeded(f"格式宽度或精度超出上限（{MAX_WIDTH}）"))
    return int(digits or 0)


COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
           ">=": operator.ge, "is": operator.is_, "is not": operator.is_not,
           "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}


def compare(left, symbols: tuple, *rights):
    """`left <op> right <op> …` after counting each comparison's cost; all operands are evaluated first."""
    result = True
    for symbol, right in zip(symbols, rights, strict=True):
        if symbol in ("in", "not in"):
            right = _container(left, right)
        elif symbol not in ("is", "is not") and type(left) in CONTAINERS and type(right) in CONTAINERS:
            current().cost(pair_cost(left, right))
        result = COMPARE[symbol](left, right)
        if not result:
            return result
        left = right
    return result


def _container(needle, container):
    """What `needle in container` may search: counted, or iterated with ticks when C would not stop."""
    kind = type(container)
    if kind in SETS:
        check_key(needle)
    elif kind is str:
        current().cost(len(container))
    elif kind in (list, tuple, type({}.values())):
        current().cost(len(container) * count(needle))
    elif kind is not range or type(needle) not in INTS:  # a range finds an int at once, anything else one by one
        return ticking(container)
    return container


def format_field(value, conversion, spec: str):
    """One `{value!conversion:spec}` field of an f-string."""
    if conversion is not None:
        current().allocate(text_size(value, MAX_OP_COST) * (10 if conversion == "a" else 1))
        value = {"s": str, "r": repr, "a": ascii}[conversion](value)
    if not spec:
        if type(value) is str:
            return value
        current().allocate(text_size(value, MAX_OP_COST))
        return format(value)
    if isinstance(value, date | time):
        if re.search(r"%[^A-Za-z%]", spec):
            current().stop(ScriptRefused("日期格式中 % 后须直接跟格式字母（如 %Y），不能带宽度"))
        current().allocate(len(spec) * 32)  # %c writes some 24 characters for two
        return format(value, spec)
    widths = sum(_width(digits) for digits in re.findall(r"\d+", spec))
    current().allocate(widths + text_size(value, MAX_OP_COST))
    return format(value, spec)

