"""How big a value is as Python's C code will walk it: to compare, print or save it.

A list holding the same list a thousand times is small in memory and huge to compare, print or
save, so each walk counts shared parts as often as they are reached, and ticks the budget as it
goes; a walk therefore costs about what the operation it stands for would, but can be stopped.
"""

from datetime import date, datetime, timedelta
from uuid import UUID

from ..codec import size_text
from ..errors import ScriptFailed, ScriptLimitExceeded
from .limits import MAX_OP_COST, current

CONTAINERS = frozenset({list, tuple, dict, set, frozenset})
JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
SAVED_TYPES = JSON_SCALARS | {list, tuple, dict, date, datetime, timedelta, UUID}
DATA_DEPTH = 100
_CYCLE = object()


def nodes(root):
    """Yield (value, depth) for `root` and everything inside it, depth first.

    A container met again inside itself is yielded as `_CYCLE` and not entered.
    """
    stack, inside = [(iter((root,)), None)], set()
    while stack:
        items, owner = stack[-1]
        for value in items:
            kind = type(value)
            if kind not in CONTAINERS and not isinstance(value, BaseException):
                yield value, len(stack)
                continue
            if id(value) in inside:
                yield _CYCLE, len(stack)
                continue
            yield value, len(stack)
            inside.add(id(value))
            # An exception prints its arguments; a dictionary its keys and values.
            children = value.args if kind not in CONTAINERS else _flat(value.items()) if kind is dict else value
            stack.append((iter(children), id(value)))
            break
        else:
            stack.pop()
            inside.discard(owner)


def _flat(pairs):
    for key, value in pairs:
        yield key
        yield value


def count(value, limit=MAX_OP_COST) -> int:
    """How many values a walk of `value` meets, up to `limit` (ticking the budget as it goes)."""
    if type(value) not in CONTAINERS:
        return 1
    budget, n = current(), 0
    for _ in nodes(value):
        n += 1
        if n & 1023 == 0:
            budget.tick(1024)
            if n >= limit:
                break
    return n


def pair_cost(a, b) -> int:
    """What comparing `a` with `b` may cost: the size of the smaller, walked side by side."""
    if type(a) not in CONTAINERS or type(b) not in CONTAINERS:
        return 1
    budget, n = current(), 0
    for _ in zip(nodes(a), nodes(b), strict=False):  # stops with the smaller
        n += 1
        if n & 1023 == 0:
            budget.tick(1024)
            if n > MAX_OP_COST:
                break
    return n


def text_size(value, limit=MAX_OP_COST) -> int:
    """About how many characters str() or repr() of `value` makes. Raises Stop past `limit`."""
    kind = type(value)
    if kind is str:
        return len(value) + 2
    if kind in (int, bool) or kind is float or value is None:
        return _number_size(value)
    budget, total = current(), 0
    for item, _depth in nodes(value):
        kind = type(item)
        if kind is str:
            total += len(item) * (1 if item.isascii() else 4) + 4
        elif kind in CONTAINERS:
            total += 4
        else:
            total += _number_size(item) if kind in (int, bool, float) else 48
        budget.tick(1)
        if total > limit:
            budget.stop(ScriptLimitExceeded(f"生成的文本过长（超过 {limit:,} 个字符）"))
    return total


def _number_size(value) -> int:
    return value.bit_length() * 31 // 100 + 2 if type(value) is int else 24


def check_data(data: dict, limit: int) -> None:
    """Refuse task data that cannot be saved or that is larger than `limit` bytes of JSON.

    Raises ScriptFailed (a value of a kind that cannot be saved, a cycle) or ScriptLimitExceeded
    (too large, too deep), neither naming the element yet.
    """
    if data_size(data, limit) > limit:
        raise ScriptLimitExceeded(f"留下的流程数据超出上限（{size_text(limit)}）")


def data_size(data: dict, limit: int) -> int:
    """About how many bytes of JSON `data` makes, counted up to a little past `limit`.

    Raises ScriptFailed for a value that cannot be saved, ScriptLimitExceeded for one nested too deep.
    """
    total = 0
    for key, value in data.items():  # most task data is flat: strings and numbers, measured here
        kind = type(value)
        if kind is str:
            total += len(value) * (1 if value.isascii() else 3) + _key_size(key)
        elif kind in _FLAT:
            total += _flat_size(value) + _key_size(key)
        else:
            total += _nested_size(value, limit - total) + _key_size(key)
        if total > limit:
            break
    current().tick(len(data))
    return total


_FLAT = SAVED_TYPES - CONTAINERS - {str}


def _key_size(key) -> int:
    return len(key) + 6 if type(key) is str else 16


def _flat_size(value) -> int:
    if type(value) is int and value.bit_length() > 63:
        raise ScriptFailed("留下的流程数据中含有超出 64 位的整数，无法保存")
    return 32


def _nested_size(data, limit: int) -> int:
    budget, total = current(), 0
    for value, depth in nodes(data):
        kind = type(value)
        if kind is str:
            total += len(value) * (1 if value.isascii() else 3) + 3
        elif value is _CYCLE:
            raise ScriptFailed("留下的流程数据中含有循环引用，无法保存")
        elif kind not in SAVED_TYPES:
            raise ScriptFailed(f"留下的流程数据中含有无法保存的值（{kind.__name__}）")
        elif kind in CONTAINERS:
            total += 2
            if depth > DATA_DEPTH:
                raise ScriptLimitExceeded(f"留下的流程数据嵌套过深（超过 {DATA_DEPTH} 层）")
        else:
            total += _flat_size(value)
        budget.tick(1)
        if total > limit:
            break
    return total


def check_value(value, limit: int) -> None:
    """Refuse an expression's result that is no data value, or that would be larger than `limit` bytes as JSON.

    A lazy iterator (map, a generator …) would run later, outside the budget, so it is refused.
    Raises ScriptFailed or ScriptLimitExceeded, not naming the element yet.
    """
    kind = type(value)
    if kind not in SAVED_TYPES and kind not in (set, frozenset):
        raise ScriptFailed(f"表达式的结果不是数据值（{kind.__name__}）")
    if kind not in CONTAINERS:
        return
    budget, total = current(), 0
    for item, _depth in nodes(value):
        total += len(item) + 3 if type(item) is str else 8
        budget.tick(1)
        if total > limit:
            raise ScriptLimitExceeded(f"表达式的结果超出上限（{size_text(limit)}）")
