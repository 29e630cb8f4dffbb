"""Running a compiled condition or script under a budget, with task data in and out.

Each evaluation gets its own scope: the date classes, then the data objects, then the task data
(data wins over a class of the same name), then the guards the compiled code calls. Expressions
get read-only guards. A script's results go back into the task data only when it finished well and
what it leaves can be saved and is within the data cap; functions it defined are dropped, as
SpiffWorkflow drops them. Every error leaves here as ScriptRefused, ScriptFailed or
ScriptLimitExceeded with a message in Chinese; the script engine adds the element to it.
"""

from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from ..codec import size_text
from ..errors import DataTooLarge, ScriptFailed, ScriptLimitExceeded
from .access import READ_ONLY, READ_WRITE, attribute_guard, getitem, write
from .calls import BUILTINS, GLOBALS
from .iteration import check_key, each, iter_unpack, unpack
from .limits import Budget, Limits, Stop, running
from .operators import binary, compare, format_field, inplace
from .policy import FILENAME, compiled
from .sizes import check_data, check_value, data_size


def _identity(value):
    return value  # loops and comprehensions tick themselves; C-level consumers use `ticking`


def _apply(function, *args, **kwargs):
    return function(*args, **kwargs)


_COMMON = {"_getitem_": getitem, "_getiter_": _identity, "_iter_unpack_sequence_": iter_unpack,
           "_unpack_sequence_": unpack, "_apply_": _apply, "_op_": binary, "_compare_": compare,
           "_format_": format_field, "_each_": each, "_key_": check_key, "__builtins__": BUILTINS}
READ_ONLY_GUARDS = {**_COMMON, "_getattr_": attribute_guard(READ_ONLY)}
READ_WRITE_GUARDS = {**_COMMON, "_getattr_": attribute_guard(READ_WRITE), "_write_": write,
                     "_inplacevar_": inplace}
RESERVED = frozenset(READ_WRITE_GUARDS) | {"_tick_", "_enter_", "_leave_"}
FAILURES = [(ZeroDivisionError, "除数为零"), (UnboundLocalError, "变量在赋值前被使用"),
            (NameError, "用到了未定义的名称"), (KeyError, "数据中没有这个键"), (IndexError, "下标越界"),
            (TypeError, "类型不符"), (ValueError, "取值不对"), (AttributeError, "属性不存在"),
            (OverflowError, "数值溢出"), (AssertionError, "断言不成立")]
_MISSING = object()


class SandboxEnvironment(TaskDataEnvironment):
    """Evaluates expressions and executes scripts compiled by the sandbox policy, each under `limits`."""

    def __init__(self, limits: Limits | None = None):
        super().__init__(dict(GLOBALS))
        self.limits = limits or Limits()

    def evaluate(self, expression, context, external_context=None):
        """The value of `expression` over `context`. Raises ScriptRefused, ScriptFailed or ScriptLimitExceeded."""
        code = compiled(expression, "eval")
        budget = Budget(self.limits)
        scope = {**self.globals, **(external_context or {}), **context, **READ_ONLY_GUARDS, "_tick_": budget.tick}
        with running(budget):
            result = _run(budget, eval, code, scope)
            _finish(budget, check_value, result, self.limits.data_bytes)
        return result

    def execute(self, script, context, external_context=None):
        """Run `script` and keep its results in `context`. Raises as `evaluate` does; `context` is then unchanged."""
        code = compiled(script, "exec")
        external = external_context or {}
        budget = Budget(self.limits)
        scope = {**self.globals, **external, **context, **READ_WRITE_GUARDS,
                 "_tick_": budget.tick, "_enter_": budget.enter, "_leave_": budget.leave}
        with running(budget):
            limit = self.limits.data_bytes
            if _finish(budget, data_size, context, limit) > limit:  # too large before the script ran
                raise DataTooLarge(f"流程数据过大（超过 {size_text(limit)}），未保存")
            _run(budget, exec, code, scope)
            kept, dropped = self._results(scope, context, external)
            _finish(budget, check_data, kept, self.limits.data_bytes)
        for key in dropped:
            context.pop(key, None)
        context.update(kept)
        return True

    def _results(self, scope: dict, context: dict, external: dict) -> tuple[dict, list]:
        """What the script leaves as task data, and the keys it removed (deleted, or set to a function)."""
        kept, dropped = {}, [key for key in context if key not in scope]
        for key, value in scope.items():
            if key in RESERVED or self.globals.get(key, _MISSING) is value or external.get(key, _MISSING) is value:
                continue
            if callable(value):
                dropped.append(key)
            else:
                kept[key] = value
        return kept, dropped


def _run(budget: Budget, run, code, scope):
    try:
        result = run(code, scope)
    except Stop as stop:
        raise stop.error from None
    except RecursionError:
        raise budget.stopped or ScriptLimitExceeded("函数递归过深") from None
    except MemoryError:
        raise budget.stopped or budget.out_of_memory() from None
    except Exception as err:  # noqa: BLE001 - the script's own error, whatever it is, becomes a message
        raise budget.stopped or ScriptFailed(describe(err)) from None
    if budget.stopped is not None:  # the script swallowed a Stop with a bare `except`: it does not get to finish
        raise budget.stopped
    return result


def _finish(budget: Budget, check, value, limit):
    try:
        return check(value, limit)
    except Stop as stop:
        raise stop.error from None


def describe(err: BaseException) -> str:
    """A script's error in Chinese, with Python's own words when they are short, and the line."""
    kind = next((text for cls, text in FAILURES if isinstance(err, cls)), "出现异常")
    name = type(err).__name__
    short = all(type(a) in (int, float, bool, type(None)) or type(a) is str and len(a) <= 300 for a in err.args)
    detail = f"{name}: {str(err)[:200]}" if short and err.args else name
    line, tb = None, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"执行出错：{kind}（{detail}{f'，第 {line} 行' if line else ''}）"
