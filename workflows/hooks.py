"""What each process adds around the engine: permission checks, computed data, domain records.

A process without hooks of its own (one an admin drew) gets `ProcessHooks`, which only
requires the starter to be logged in; its forms still validate every submission.
"""

from sqlalchemy.orm import Session

from engine import Outcome
from engine.models import HumanTask

from .models import User


class ProcessHooks:
    def check_starter(self, session: Session, user: User) -> None:
        """Raise PermissionDenied if `user` may not start this process at all."""

    def before_start(self, platform, session: Session, user: User, data: dict) -> dict:
        return data

    def after_start(self, platform, session: Session, user: User, outcome: Outcome) -> None:
        pass

    def before_complete(self, platform, session: Session, user: User, task: HumanTask, data: dict) -> dict:
        return data

    def after_complete(self, platform, session: Session, user: User, task: HumanTask, data: dict,
                       outcome: Outcome) -> None:
        pass

    def after_timers(self, platform, session: Session, outcome: Outcome) -> None:
        """Timers of the instance that came due while the action ran fired inside it (outcome.fired_timers)."""


_registry: dict[str, ProcessHooks] = {}


def register(process_key: str, hooks: ProcessHooks) -> None:
    _registry[process_key] = hooks


def hooks_for(process_key: str) -> ProcessHooks:
    return _registry.get(process_key) or ProcessHooks()
