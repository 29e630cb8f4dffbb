"""Errors the engine raises. Each carries a message a person can read."""

from dataclasses import dataclass


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One reason a diagram was refused, tied to the element it concerns."""

    element_id: str | None
    message: str

    def __str__(self) -> str:
        # Messages name their element ("用户任务 verify（核查）…"); the id leads only when they do not.
        if not self.element_id or self.element_id in self.message:
            return self.message
        return f"{self.element_id}: {self.message}"


class InvalidDefinition(EngineError):
    """A diagram that cannot be deployed; `problems` lists every reason by element."""

    status = 422

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("流程定义无效：" + "；".join(str(p) for p in self.problems))


class NotFound(EngineError):
    status = 404


class DefinitionNotFound(NotFound):
    def __init__(self, key: str):
        super().__init__(f"没有名为 {key} 的流程定义")


class InstanceNotFound(NotFound):
    def __init__(self, instance_id):
        super().__init__(f"流程实例 {instance_id} 不存在")


class TaskNotFound(NotFound):
    def __init__(self, task_id):
        super().__init__(f"任务 {task_id} 不存在")


class Conflict(EngineError):
    """The action was built on a state that has since changed; nothing was applied."""

    status = 409


class TaskAlreadyDone(Conflict):
    def __init__(self, task_id, by: str | None, at):
        when = at.strftime("%Y-%m-%d %H:%M") if at else "此前"
        super().__init__(f"该任务已由 {by or '他人'} 于 {when} 办理")
        self.task_id, self.by, self.at = task_id, by, at


class StaleVersion(Conflict):
    def __init__(self, instance_id, expected, actual):
        super().__init__(
            f"流程实例 {instance_id} 已被他人更新（版本 {expected} → {actual}），请刷新后重试"
        )


class TaskClaimedByOther(Conflict):
    def __init__(self, task_id, assignee: str):
        super().__init__(f"任务 {task_id} 已由 {assignee} 签收")


class ScriptRefused(EngineError):
    """A condition or script tried something the sandbox does not allow."""

    status = 422


class ExecutionFailed(EngineError):
    """A step of the process failed while running; the action was rolled back. Names the element when known."""

    status = 422

    def __init__(self, message: str, element_id: str | None = None):
        super().__init__(message)
        self.element_id = element_id


class ScriptFailed(ExecutionFailed):
    """A script, condition or timer expression raised an error while it ran; its message names the element."""


class ScriptLimitExceeded(ScriptFailed):
    """A script or expression went over its CPU time, memory, call depth or size budget and was stopped."""


class DataTooLarge(EngineError):
    """An instance's data or saved state would grow past its cap; nothing was written."""

    status = 422
