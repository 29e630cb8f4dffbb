"""The script engine the engine gives every workflow it creates or loads.

SpiffWorkflow's default engine hands expressions to plain ``eval``/``exec`` with full builtins, and
a deserialized workflow falls back to that default. Ours runs each condition, script and timer
expression in the sandbox (engine.sandbox) under a CPU-time, memory and call-depth budget, and
names the element in every error: "脚本任务 compute（计算）超出运行时间上限（1 秒）".
"""

import datetime as _dt

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from .errors import ScriptFailed, ScriptRefused
from .sandbox import Limits, SandboxEnvironment, check_source

__all__ = ["Limits", "SandboxScriptEngine", "check_source"]

# What an element is called in messages, by the name of its spec's class.
KINDS = {"ScriptTask": "脚本任务", "ExclusiveGateway": "排他网关", "InclusiveGateway": "包容网关",
         "EventBasedGateway": "事件网关", "BoundaryEvent": "边界事件", "IntermediateCatchEvent": "中间事件",
         "StartEvent": "开始事件", "UserTask": "用户任务", "ManualTask": "人工任务", "SubWorkflowTask": "子流程",
         "CallActivity": "调用活动", "TransactionSubprocess": "事务子流程"}


class SandboxScriptEngine(PythonScriptEngine):
    """The only script engine the engine ever gives a workflow; it also tells timers the time."""

    def __init__(self, clock=None, limits: Limits | None = None):
        super().__init__(environment=SandboxEnvironment(limits))
        self.now = clock or (lambda: _dt.datetime.now(_dt.UTC))

    @property
    def limits(self) -> Limits:
        return self.environment.limits

    @limits.setter
    def limits(self, limits: Limits) -> None:
        self.environment.limits = limits

    def validate(self, expression):
        check_source(expression, "exec")

    def evaluate(self, task, expression, external_context=None):
        """Raises ScriptRefused, ScriptFailed or ScriptLimitExceeded naming the task's element."""
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except (ScriptRefused, ScriptFailed) as err:
            raise _named(err, task, expression=True) from None

    def execute(self, task, script, external_context=None):
        """Raises ScriptRefused, ScriptFailed or ScriptLimitExceeded naming the task's element."""
        try:
            return self.environment.execute(script, task.data, external_context)
        except (ScriptRefused, ScriptFailed) as err:
            raise _named(err, task, expression=False) from None


def element_name(task_spec) -> str:
    """`脚本任务 compute（计算）`: what the element is, its id and its name."""
    kind = next((KINDS[c.__name__] for c in type(task_spec).__mro__ if c.__name__ in KINDS), None)
    if kind is None:
        name = type(task_spec).__name__
        kind = "多实例任务" if "MultiInstance" in name else "循环任务" if "Loop" in name else "环节"
    bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
    label = getattr(task_spec, "bpmn_name", None)
    return f"{kind} {bpmn_id}（{label}）" if label else f"{kind} {bpmn_id}"


def _named(err, task, expression: bool):
    where = element_name(task.task_spec)
    if expression:
        event = type(getattr(task.task_spec, "event_definition", None)).__name__
        gateway = "Gateway" in type(task.task_spec).__name__
        where = _then(where, "的条件" if gateway else "的定时表达式" if "Time" in event else "的表达式")
    if isinstance(err, ScriptRefused):
        return ScriptRefused(_then(where, f"被拒绝：{err.message}"))
    return type(err)(_then(where, err.message), getattr(task.task_spec, "bpmn_id", None))


def _then(text: str, more: str) -> str:
    """Chinese after an element id is set off by a space, as after any Latin word."""
    return f"{text} {more}" if text[-1].isascii() else text + more
