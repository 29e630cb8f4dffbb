"""Errors of the domain layer, beside the engine's own (which pass through unchanged)."""

from engine.errors import EngineError


class PermissionDenied(EngineError):
    """The person may not do this (wrong role, another unit's case)."""

    status = 403


class FormInvalid(EngineError):
    """Submitted data failed the task's form schema; `errors` maps each field to its message."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("表单有误：" + "；".join(f"{k}：{v}" for k, v in self.errors.items()))


class BadRequest(EngineError):
    status = 400
