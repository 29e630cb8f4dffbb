"""What a script may read: attributes by (type, name), subscripts of data containers, item writes.

Task data holds strings, numbers, lists, dictionaries, tuples, sets and dates; a script may use the
harmless methods and attributes of exactly those types (the type must match exactly, so no
subclass can sneak in), and of the date classes it is given. Nothing else has any attribute to a
script: not functions, frames, exceptions, generators, types or modules. Methods whose cost or
result grows with their arguments are wrapped so their cost and memory are counted before they
run. Expressions (conditions, timers) get the read-only half: they cannot change task data.
"""

from datetime import date, datetime, time, timedelta

from ..errors import ScriptRefused
from .iteration import check_key, materialize
from .limits import current
from .sizes import CONTAINERS, count, text_size


def _scan(obj, method):
    """A method that reads all of `obj` (find, count, upper …): costs its length."""
    current().cost(len(obj))
    return method


def _copy(obj, method):
    """A method that makes something about as big as `obj` (strip, upper, copy …)."""
    current().allocate(_bytes(obj))
    return method


def _split(obj, method):
    """split and splitlines: a string object (~50 bytes) for every few characters."""
    current().allocate(_bytes(obj) * 24)
    return method


def _bytes(obj) -> int:
    if type(obj) is str:
        return len(obj) * (1 if obj.isascii() else 4)
    return len(obj) * (8 if type(obj) in (list, tuple) else 64)


def _widen(obj, method):
    """center, ljust, rjust, zfill: as long as the width asked for."""
    def widened(width, *args):
        current().allocate(max(width, len(obj)) * (1 if obj.isascii() else 4))
        return method(width, *args)
    return widened


def _replace(obj, method):
    def replace(old, new, count=-1):
        found = obj.count(old) if count < 0 else min(count, obj.count(old))
        current().allocate(len(obj) + found * max(len(new) - len(old), 0))
        return method(old, new, count)
    return replace


def _join(obj, method):
    def join(iterable):
        items = materialize(iterable)
        size = sum(len(item) if type(item) is str else 0 for item in items)
        current().allocate((size + len(obj) * len(items)) * (1 if obj.isascii() else 4))
        return method(items)
    return join


def _expandtabs(obj, method):
    def expandtabs(tabsize=8):
        current().allocate(len(obj) + obj.count("\t") * max(tabsize, 0))
        return method(tabsize)
    return expandtabs


def _needle(obj, method):
    """index, count, remove: compare the argument with every item (list.index also prints it when missing)."""
    def compared(value, *args):
        current().cost(len(obj) * count(value))
        current().allocate(text_size(value))
        return method(value, *args)
    return compared


def _sort(obj, method):
    def sort(*, key=None, reverse=False):
        obj[:] = sort_items(obj, key, reverse)
    return sort


def sort_items(items, key=None, reverse=False) -> list:
    """`items` sorted as list.sort would, its comparisons counted first (of the keys, when a key is given)."""
    if key is None:
        current().cost(sort_cost(items))
        return sorted(items, reverse=reverse)
    keys = [key(item) for item in items]
    current().cost(sort_cost(keys))
    return [items[i] for i in sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)]


def pick(function, items, key=None, **default):
    """min or max of `items`, its comparisons counted first; the first of equal ones, as Python picks."""
    keys = items if key is None else [key(item) for item in items]
    current().cost(items_cost(keys))
    if not items:
        return function(items, **default)
    return items[function(range(len(items)), key=keys.__getitem__)]


def items_cost(items) -> int:
    """What comparing each item once may cost: their number, or all their parts when they are containers."""
    current().cost(len(items))
    if CONTAINERS.isdisjoint(map(type, items)):
        return len(items)
    return sum(count(item) for item in items)


def sort_cost(items) -> int:
    """What sorting `items` may cost: n log n comparisons."""
    return items_cost(items) * max(len(items).bit_length(), 1)


def _merge(obj, method):
    """extend, update, union …: every argument iterated with ticks and counted as memory."""
    def merged(*others, **pairs):
        added = [other if type(other) is dict else materialize(other) for other in others]
        current().allocate(sum(_bytes(each) for each in added) + (_bytes(obj) if type(obj) is not list else 0))
        if type(obj) is not list:
            for each in added:
                if not CONTAINERS.isdisjoint(map(type, each)):
                    for key in each:
                        check_key(key)
        return method(*added, **pairs)
    return merged


def _keyed(obj, method):
    """get, pop, add …: hash the key first."""
    def keyed(key, *args):
        return method(check_key(key), *args)
    return keyed


def _table(*kinds) -> dict:
    """{name: wrapper} from (wrapper, "name name …") pairs; a wrapper of None means the attribute as it is."""
    return {name: wrap for wrap, names in kinds for name in names.split()}


_STR = _table(
    (_scan, "count endswith find index isalnum isalpha isascii isdecimal isdigit isidentifier islower "
            "isnumeric isprintable isspace istitle isupper rfind rindex startswith"),
    (_copy, "capitalize casefold lower lstrip partition removeprefix removesuffix rpartition rstrip strip "
            "swapcase title upper"),
    (_split, "split rsplit splitlines"), (_widen, "center ljust rjust zfill"), (_replace, "replace"),
    (_join, "join"), (_expandtabs, "expandtabs"))
_INT = dict.fromkeys("bit_length bit_count conjugate real imag numerator denominator as_integer_ratio".split())
_FLOAT = dict.fromkeys("conjugate real imag is_integer as_integer_ratio hex".split())
_DATE = dict.fromkeys("year month day weekday isoweekday isoformat toordinal replace ctime".split())
_TIME = dict.fromkeys("hour minute second microsecond isoformat replace tzinfo fold".split())
_DATETIME = {**_DATE, **_TIME, **dict.fromkeys("date time timestamp utcoffset astimezone tzname".split())}
_TIMEDELTA = dict.fromkeys("days seconds microseconds total_seconds".split())
_LIST_READ = _table((_needle, "index count"), (_copy, "copy"))
_LIST_WRITE = {**_LIST_READ, **_table((_needle, "remove"), (_scan, "insert pop reverse"), (_sort, "sort"),
                                      (_merge, "extend"), (None, "append clear"))}
_TUPLE = _table((_needle, "index count"))
_DICT_READ = _table((_keyed, "get"), (_copy, "copy"), (None, "keys values items"))
_DICT_WRITE = {**_DICT_READ, **_table((_keyed, "pop setdefault"), (_merge, "update"), (None, "popitem clear"))}
_SET_READ = _table((_copy, "copy"),
                   (_merge, "union intersection difference symmetric_difference issubset issuperset isdisjoint"))
_SET_WRITE = {**_SET_READ, **_table((_keyed, "add discard remove"), (None, "pop clear"),
                                    (_merge, "update intersection_update difference_update "
                                             "symmetric_difference_update"))}
_VALUES = {str: _STR, int: _INT, bool: _INT, float: _FLOAT, date: _DATE, datetime: _DATETIME, time: _TIME,
           timedelta: _TIMEDELTA, tuple: _TUPLE, frozenset: _SET_READ}
READ_ONLY = {**_VALUES, list: _LIST_READ, dict: _DICT_READ, set: _SET_READ}
READ_WRITE = {**_VALUES, list: _LIST_WRITE, dict: _DICT_WRITE, set: _SET_WRITE}
# The date classes scripts are given, and what of each they may use (a type has no other attribute).
CLASSES = {
    date: dict.fromkeys("today fromisoformat fromordinal min max".split()),
    datetime: dict.fromkeys("now today fromisoformat combine min max".split()),
    timedelta: dict.fromkeys("min max".split()),
}
ATTRIBUTE_NAMES = frozenset(name for table in [*READ_WRITE.values(), *CLASSES.values()] for name in table)
_MISSING = object()


def attribute_guard(tables: dict):
    """The `_getattr_` of compiled code, for `tables` (READ_ONLY or READ_WRITE)."""
    def guarded_getattr(obj, name):
        kind = type(obj)
        table = tables.get(kind)
        if table is None and kind is type:
            table = CLASSES.get(obj)
        wrap = table.get(name, _MISSING) if table is not None else _MISSING
        if wrap is _MISSING:
            refuse(f"不允许访问 {_type_name(obj)} 的属性 {name}"
                   + ("（表达式不能修改流程数据）" if name in READ_WRITE.get(kind, ()) else ""))
        value = getattr(obj, name)
        return value if wrap is None else wrap(obj, value)
    return guarded_getattr


def getitem(obj, key):
    """`obj[key]` for the data containers; a slice costs what it copies."""
    kind = type(obj)
    if kind is dict:
        return obj[check_key(key)]
    if kind not in (list, tuple, str, range):
        refuse(f"不允许对 {_type_name(obj)} 取下标")
    if type(key) is slice and kind is not range:
        taken = len(range(*key.indices(len(obj))))
        current().allocate(taken * (8 if kind is not str else 1 if obj.isascii() else 4))
    return obj[key]


def write(obj):
    """The target of `obj[key] = value` and `del obj[key]`: lists and dictionaries only."""
    if type(obj) not in (dict, list):
        refuse(f"不允许修改 {_type_name(obj)} 的元素")
    return _Writer(obj)


class _Writer:
    __slots__ = ("target",)

    def __init__(self, target):
        self.target = target

    def __setitem__(self, key, value):
        if type(self.target) is dict:
            check_key(key)
        elif type(key) is slice:  # `l[:] = range(10**9)` would fill the list in C
            value = materialize(value)
        self.target[key] = value

    def __delitem__(self, key):
        del self.target[key]


def _type_name(obj) -> str:
    return obj.__name__ if type(obj) is type else type(obj).__name__


def refuse(message: str):
    """End the script with ScriptRefused; like a limit, a bare `except` cannot go on past it."""
    current().stop(ScriptRefused(message))
