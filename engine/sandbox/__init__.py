"""The sandbox conditions, scripts and timer expressions run in.

An allow-list design on RestrictedPython: what a script may name (policy, calls), read (access)
and compute (operators, iteration) is listed, and everything else is refused; what it may use is
budgeted (limits, sizes). `engine.script_engine` is the door the rest of the engine uses.
"""

from .environment import SandboxEnvironment
from .limits import Limits
from .policy import check_source

__all__ = ["Limits", "SandboxEnvironment", "check_source"]
