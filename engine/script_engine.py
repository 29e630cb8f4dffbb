"""A script engine for gateway conditions, scripts and timer expressions that cannot escape.

SpiffWorkflow's default engine hands expressions to plain ``eval``/``exec`` with full builtins,
and a deserialized workflow falls back to that default. Ours checks each expression's syntax
tree before running it (no imports, no names or attributes with underscores at the front, no
string-formatting tricks) and runs it with a short list of harmless builtins. The engine sets it
on every workflow it creates or loads.
"""

import ast
import builtins
import datetime as _dt
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .errors import ScriptRefused

SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs all any bool dict divmod enumerate filter float int isinstance len list map max min "
        "range reversed round set sorted str sum tuple zip True False None "
        "ValueError KeyError TypeError Exception"
    ).split()
}

# Functions scripts may call beyond the builtins: dates, nothing that touches the outside.
SAFE_GLOBALS = {
    "date": _dt.date,
    "datetime": _dt.datetime,
    "timedelta": _dt.timedelta,
}

FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.AsyncFunctionDef,
                   ast.Await, ast.Yield, ast.YieldFrom, ast.ClassDef)
FORBIDDEN_NAMES = {"eval", "exec", "compile", "open", "input", "getattr", "setattr", "delattr",
                   "globals", "locals", "vars", "type", "super", "object", "breakpoint", "help",
                   "memoryview", "bytearray", "__import__", "format", "dir", "id", "hash"}
FORBIDDEN_ATTRS = {"format", "format_map", "mro", "gi_frame", "f_globals", "f_builtins", "f_locals",
                   "tb_frame", "func_globals", "cr_frame", "ag_frame"}
MAX_SOURCE = 20_000
MAX_POWER = 1000


def check_source(source: str, mode: str = "exec") -> None:
    """Refuse a condition or script that could reach past its task data.

    Raises ScriptRefused naming the offending construct; SyntaxError becomes ScriptRefused too.
    """
    if not isinstance(source, str):
        raise ScriptRefused("表达式必须是文本")
    _check_cached(source, mode)


@lru_cache(maxsize=4096)
def _check_cached(source: str, mode: str) -> None:
    if len(source) > MAX_SOURCE:
        raise ScriptRefused("脚本过长")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise ScriptRefused(f"语法错误（第 {err.lineno} 行）：{err.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            raise ScriptRefused(f"不允许使用 {type(node).__name__} 语句")
        if isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in FORBIDDEN_NAMES):
            raise ScriptRefused(f"不允许使用名称 {node.id}")
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRS):
            raise ScriptRefused(f"不允许访问属性 {node.attr}")
        if isinstance(node, ast.FunctionDef | ast.Lambda):
            args = node.args
            for a in args.posonlyargs + args.args + args.kwonlyargs:
                if a.arg.startswith("_"):
                    raise ScriptRefused(f"不允许使用名称 {a.arg}")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            right = node.right
            if not (isinstance(right, ast.Constant) and isinstance(right.value, int | float)
                    and abs(right.value) <= MAX_POWER):
                raise ScriptRefused("乘方的指数必须是不大于 1000 的常数")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("__"):
            raise ScriptRefused("不允许使用以双下划线开头的字符串")


def _compiled(source: str, mode: str):
    """The code of a checked source. Raises ScriptRefused."""
    check_source(source, mode)
    return _compile(source, mode)


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str):
    # Conditions and timer expressions run on every step: compile each one once.
    return compile(source, "<string>", mode)


def _clean_context(context: dict) -> None:
    for key in [k for k in context if isinstance(k, str) and k.startswith("__")]:
        context.pop(key)


class SandboxEnvironment(TaskDataEnvironment):
    """Task-data environment that checks each source and offers only safe builtins."""

    def __init__(self):
        super().__init__(dict(SAFE_GLOBALS))

    def evaluate(self, expression, context, external_context=None):
        code = _compiled(expression, "eval")
        _clean_context(context)
        scope = dict(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        scope["__builtins__"] = SAFE_BUILTINS
        return eval(code, scope)  # noqa: S307 - checked by _compiled

    def execute(self, script, context, external_context=None):
        code = _compiled(script, "exec")
        _clean_context(context)
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        context["__builtins__"] = SAFE_BUILTINS
        try:
            exec(code, context)  # noqa: S102 - checked by _compiled
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class SandboxScriptEngine(PythonScriptEngine):
    """The only script engine the engine ever gives a workflow; it also tells timers the time."""

    def __init__(self, clock=None):
        super().__init__(environment=SandboxEnvironment())
        self.now = clock or (lambda: _dt.datetime.now(_dt.UTC))

    def validate(self, expression):
        check_source(expression, "exec")

    def evaluate(self, task, expression, external_context=None):
        check_source(expression, "eval")  # a refusal surfaces as itself, not as a script error
        return super().evaluate(task, expression, external_context)

    def execute(self, task, script, external_context=None):
        check_source(script, "exec")
        return super().execute(task, script, external_context)


