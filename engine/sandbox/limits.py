"""What one evaluation of a script or expression may use, and the budget that keeps it to that.

The sandbox's compiled code reports its work as it goes: each loop pass, function call and
comprehension item ticks with the size of the code it runs, and each guarded operation adds its
own cost, estimated before it runs. Every `CHECK_EVERY` units the budget reads the thread's CPU
time (time other threads use does not count) and, every few checks or after a few megabytes of
guarded allocations, the process's resident memory. Going over raises `Stop`, which scripts
cannot catch: they can name no BaseException, and one they swallow with a bare ``except`` is
raised again at the next tick and when the script ends.
"""

import os
import resource
import threading
import time
from dataclasses import dataclass

from ..codec import MAX_DATA_BYTES
from ..errors import ScriptLimitExceeded

MB = 1024 * 1024
CHECK_EVERY = 20_000  # units of work between two reads of the CPU clock
MEMORY_EVERY_CHECKS = 8  # reading /proc costs ~20 µs, so memory is read on every 8th check only
MEMORY_EVERY_BYTES = 4 * MB  # ... or as soon as guarded operations allocated this much
MAX_OP_COST = 10_000_000  # one C-level operation may touch this many items (~50 ms), no more
MAX_INT_BITS = 14_000  # ~4 200 decimal digits: every allowed integer can still be printed
MAX_WIDTH = 1_000  # widths and precisions in format specifications


@dataclass(frozen=True)
class Limits:
    """The budget of one evaluation; the defaults suit every condition and script the diagrams hold."""

    cpu_seconds: float = 1.0
    memory_bytes: int = 64 * MB
    depth: int = 100  # nested calls of the script's own functions
    data_bytes: int = MAX_DATA_BYTES  # the task data a script leaves, as JSON (about)


class Stop(BaseException):
    """Ends an evaluation at once; `error` says why, without naming the element yet."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


class Budget:
    """The work, memory and call depth one evaluation has used so far."""

    __slots__ = ("limits", "left", "deadline", "checks", "pending", "rss_base", "depth", "stopped")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.left = CHECK_EVERY
        self.deadline = None  # set at the first check: an evaluation that never gets there is short
        self.checks = 0
        self.pending = 0
        self.rss_base = None
        self.depth = 0
        self.stopped = None

    def tick(self, units=1) -> bool:
        """Count `units` of work; true, so compiled comprehensions can tick in their conditions."""
        self.left -= units
        if self.left < 0:
            self.check()
        return True

    def enter(self, units) -> None:
        """A call of one of the script's own functions begins. Raises Stop past the depth limit."""
        self.depth += 1
        if self.depth > self.limits.depth:
            self.stop(ScriptLimitExceeded(f"函数调用层数超出上限（{self.limits.depth} 层）"))
        self.tick(units)

    def leave(self) -> None:
        self.depth -= 1

    def cost(self, units) -> None:
        """Count a C-level operation's work before it runs. Raises Stop if one operation is too big."""
        if units > MAX_OP_COST:
            self.stop(ScriptLimitExceeded(f"单步运算量超出上限（约 {units:,} 项，上限 {MAX_OP_COST:,} 项）"))
        self.tick(units)

    def allocate(self, nbytes) -> None:
        """Count memory an operation is about to take. Raises Stop if it would go over the budget."""
        if nbytes > self.limits.memory_bytes:
            self.stop(self.out_of_memory())
        self.cost(nbytes >> 6)
        self.pending += nbytes
        if self.pending >= MEMORY_EVERY_BYTES:
            self.check_memory(nbytes)

    def check(self) -> None:
        if self.stopped is not None:
            raise Stop(self.stopped)
        now = time.thread_time()
        if self.deadline is None:
            self.deadline = now + self.limits.cpu_seconds
        elif now > self.deadline:
            self.stop(ScriptLimitExceeded(f"超出运行时间上限（{self.limits.cpu_seconds:g} 秒）"))
        self.checks += 1
        if self.checks % MEMORY_EVERY_CHECKS == 0:
            self.check_memory(0)
        self.left = CHECK_EVERY

    def check_memory(self, upcoming) -> None:
        # Resident memory of the whole process: what the script holds however it got it. Large
        # blocks are returned to the system when freed, so the growth is mostly live memory.
        rss = resident_bytes()
        self.pending = 0
        if self.rss_base is None:
            self.rss_base = rss
        elif rss - self.rss_base + upcoming > self.limits.memory_bytes:
            self.stop(self.out_of_memory())

    def out_of_memory(self):
        return ScriptLimitExceeded(f"超出内存上限（{self.limits.memory_bytes // MB} MB）")

    def stop(self, error):
        """Raise Stop with `error`; every later tick raises it again."""
        if self.stopped is None:
            self.stopped = error
        self.left = -1
        raise Stop(self.stopped)


_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            return int(os.read(fd, 128).split()[1]) * _PAGE
        finally:
            os.close(fd)
    except OSError:  # no /proc: the peak is the best the system tells
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


_local = threading.local()


def current() -> Budget:
    """The budget of the evaluation running on this thread."""
    return _local.budget


class running:
    """Make `budget` the current one for the duration of a `with` block; evaluations may nest."""

    __slots__ = ("budget", "outer")

    def __init__(self, budget: Budget):
        self.budget = budget

    def __enter__(self):
        self.outer = getattr(_local, "budget", None)
        _local.budget = self.budget
        return self.budget

    def __exit__(self, *exc):
        _local.budget = self.outer
        return False
