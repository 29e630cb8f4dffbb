"""Iterating without running away: what C code iterates for a script must tick as it goes.

A list, string or dictionary is already in memory, so C code walks it in bounded time (its cost is
counted up front). A range, map, zip or generator may never end, or make a million items from one
line: those are iterated through a generator that ticks the budget for every item.
"""

from .limits import current
from .sizes import CONTAINERS, count

MATERIALIZED = frozenset({str, list, tuple, dict, set, frozenset, type({}.keys()), type({}.values()),
                          type({}.items())})


def ticking(iterable):
    """`iterable` itself when it is already in memory (its length counted as work), else a ticking iterator."""
    if type(iterable) in MATERIALIZED:
        current().cost(len(iterable))
        return iterable
    return _ticked(iter(iterable), current())


def _ticked(items, budget):
    tick = budget.tick
    for item in items:
        tick(4)
        yield item


def materialize(iterable) -> list:
    """A new list of the items of `iterable`, counted as work and memory."""
    if type(iterable) in MATERIALIZED:
        current().allocate(8 * len(iterable))
    return list(ticking(iterable))


def each(iterable):
    """What `*x` in a literal or call iterates: ticking, so `[*range(10**9)]` stops in time."""
    return ticking(iterable)


def check_key(key):
    """A dictionary key or set element about to be hashed: a tuple of tuples hashes every part, every time."""
    if type(key) is tuple and any(type(part) in CONTAINERS for part in key):
        current().cost(count(key))
    return key


def unpack(iterable, spec, _getiter_=None) -> list:
    """`a, (b, *c) = x`: the items of `x` as a list, nested parts unpacked the same way (RestrictedPython's spec)."""
    items = materialize(iterable)
    if len(items) >= spec["min_len"]:
        for index, child in spec["childs"]:
            items[index] = unpack(items[index], child)
    return items


def iter_unpack(iterable, spec, _getiter_=None):
    """`for a, b in x`: each item of `x` unpacked as `unpack` does."""
    for item in iterable:
        yield unpack(item, spec)
