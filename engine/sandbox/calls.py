"""The builtins a script may call: a short allow-list, each wrapped where it could run long or allocate much.

Whatever iterates for a builtin iterates with ticks (`sum(range(10**18))` stops in time); whatever
builds a list, set, dictionary or text counts it as memory first; `sorted`, `min` and `max` count
their comparisons; `int` and `round` refuse the few inputs CPython takes quadratic time over.
`isinstance` knows the wrapped `list`, `str` … as the types they stand for.
"""

import builtins
from datetime import date, datetime, timedelta

from ..errors import ScriptLimitExceeded
from .access import pick, sort_items
from .iteration import check_key, materialize, ticking
from .limits import current
from .operators import NUMBERS, binary
from .sizes import text_size

MAX_DIGITS = 4_300  # CPython's own default for int('…'); refused here whatever the process allows
MAX_ROUND = 1_000


def _sum(iterable, start=0):
    if type(start) in NUMBERS:
        return builtins.sum(ticking(iterable), start)
    total = start  # sum(lists, []) would concatenate in C, growing quadratically
    for item in ticking(iterable):
        total = binary("+", total, item)
    return total


def _sorted(iterable, *, key=None, reverse=False):
    return sort_items(materialize(iterable), key, reverse)


def _extreme(function):
    def extreme(*args, key=None, **default):
        return pick(function, materialize(args[0]) if len(args) == 1 else list(args), key, **default)
    return extreme


def _list(iterable=()):
    return materialize(iterable)


def _tuple(iterable=()):
    return tuple(materialize(iterable))


def _set(iterable=()):
    return set(map(check_key, materialize(iterable)))


def _frozenset(iterable=()):
    return frozenset(map(check_key, materialize(iterable)))


def _dict(*args, **pairs):
    if not args:
        return dict(pairs)
    source = args[0]
    if type(source) is dict:
        current().allocate(64 * len(source))
        return dict(source, **pairs)
    items = [_pair(item) for item in materialize(source)]
    current().allocate(64 * len(items))
    return dict(items, **pairs)


def _pair(item):
    pair = item if type(item) in (tuple, list) else materialize(item)
    if len(pair) == 2:
        check_key(pair[0])
    return pair


def _str(value=""):
    if type(value) is str:
        return value
    current().allocate(text_size(value))
    return str(value)


def _repr(value):
    current().allocate(text_size(value))
    return repr(value)


def _int(value=0, *base):
    if isinstance(value, str) and len(value) > MAX_DIGITS:
        current().stop(ScriptLimitExceeded(f"数字文本过长（超过 {MAX_DIGITS} 位）"))
    return int(value, *base)


def _round(number, ndigits=None):
    if ndigits is not None and abs(ndigits) > MAX_ROUND:
        current().stop(ScriptLimitExceeded(f"round 的位数超出上限（{MAX_ROUND}）"))
    return round(number, ndigits)


def _any(iterable):
    return any(ticking(iterable))


def _all(iterable):
    return all(ticking(iterable))


def _enumerate(iterable, start=0):
    return enumerate(ticking(iterable), start)


def _zip(*iterables, strict=False):
    return zip(*map(ticking, iterables), strict=strict)


def _map(function, *iterables):
    return map(function, *map(ticking, iterables))


def _filter(function, iterable):
    return filter(function, ticking(iterable))


WRAPPED_TYPES = {_list: list, _tuple: tuple, _set: set, _frozenset: frozenset, _dict: dict, _str: str,
                 _int: int}


def _isinstance(value, classes):
    if type(classes) is tuple:
        classes = tuple(WRAPPED_TYPES.get(c, c) for c in classes)
    return isinstance(value, WRAPPED_TYPES.get(classes, classes))


BUILTINS = {
    "abs": abs, "all": _all, "any": _any, "bool": bool, "chr": chr, "dict": _dict, "divmod": divmod,
    "enumerate": _enumerate, "filter": _filter, "float": float, "frozenset": _frozenset, "int": _int,
    "isinstance": _isinstance, "len": len, "list": _list, "map": _map, "max": _extreme(max), "min": _extreme(min),
    "ord": ord, "range": range, "repr": _repr, "reversed": reversed, "round": _round, "set": _set,
    "sorted": _sorted, "str": _str, "sum": _sum, "tuple": _tuple, "zip": _zip,
    **{error.__name__: error for error in (Exception, ArithmeticError, LookupError, ValueError, KeyError,
                                           IndexError, TypeError, ZeroDivisionError, AssertionError)},
}
# Beside the builtins, the date classes (their attributes are listed in access.CLASSES).
GLOBALS = {"date": date, "datetime": datetime, "timedelta": timedelta}
