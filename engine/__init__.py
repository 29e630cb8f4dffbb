"""A generic BPMN runtime on SpiffWorkflow and SQLAlchemy. It knows nothing of the domain."""

from .db import Database
from .errors import (
    Conflict,
    DataTooLarge,
    DefinitionNotFound,
    EngineError,
    ExecutionFailed,
    InstanceNotFound,
    InvalidDefinition,
    NotFound,
    Problem,
    ScriptFailed,
    ScriptLimitExceeded,
    ScriptRefused,
    StaleVersion,
    TaskAlreadyDone,
    TaskClaimedByOther,
    TaskNotFound,
)
from .projection import Assignment
from .queries import Actor, TaskFilter
from .runtime import Engine, Outcome

__all__ = [
    "Actor", "Assignment", "Conflict", "DataTooLarge", "Database", "DefinitionNotFound", "Engine",
    "EngineError", "ExecutionFailed", "InstanceNotFound", "InvalidDefinition", "NotFound", "Outcome",
    "Problem", "ScriptFailed", "ScriptLimitExceeded", "ScriptRefused", "StaleVersion", "TaskAlreadyDone",
    "TaskClaimedByOther", "TaskFilter", "TaskNotFound",
]
