"""What a script may say: RestrictedPython's allow-list of Python, narrowed and instrumented.

RestrictedPython compiles only the syntax it knows (so `match`, `class`, `async` and anything a
later Python adds are refused) and routes attribute reads, subscripts, writes and iteration
through guard functions. On top of it this policy refuses what BPMN scripts never need (imports,
`with`, generators, decorators, attribute writes, `print`), refuses at compile time attribute
names that no allowed type has, and routes every arithmetic operator, non-trivial comparison,
f-string field, starred unpacking and dictionary key through guards too. It also makes the code
report its work: each loop pass, comprehension item and lambda call ticks the budget with the
size of the code it runs, and each function call enters and leaves it (the call depth).

`compiled` is cached: conditions run on every step and are compiled once per source.
"""

import ast
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from ..errors import ScriptRefused
from .access import ATTRIBUTE_NAMES
from .static import static_problems

MAX_SOURCE = 20_000
FILENAME = "<script>"
# Builtins a script could only want in order to escape; refused by name at deploy.
FORBIDDEN_NAMES = frozenset(
    "eval exec compile open getattr setattr delattr globals locals vars breakpoint input help "
    "memoryview super object print printed builtins classmethod staticmethod property".split())
CONSTRUCTS = {
    "Match": "match 模式匹配", "Import": "import 导入", "ImportFrom": "import 导入", "ClassDef": "class 定义",
    "With": "with 语句", "Yield": "yield 生成器", "YieldFrom": "yield 生成器", "Nonlocal": "nonlocal 声明",
    "AsyncFunctionDef": "async 异步语法", "Await": "async 异步语法", "AsyncFor": "async 异步语法",
    "AsyncWith": "async 异步语法", "TryStar": "except* 语句", "AnnAssign": "类型注解（x: int = 1）",
}
COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
           ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
             ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
             ast.BitAnd: "&", ast.MatMult: "@"}
CONVERSIONS = {-1: None, ord("s"): "s", ord("r"): "r", ord("a"): "a"}


def check_source(source: str, mode: str = "exec") -> None:
    """Refuse a condition or script the sandbox would not run.

    Raises ScriptRefused naming what was refused and where; a syntax error is refused too.
    """
    compiled(source, mode)


def compiled(source: str, mode: str):
    """The sandbox's code object for `source` ("exec" or "eval"). Raises ScriptRefused."""
    if not isinstance(source, str):
        raise ScriptRefused("表达式必须是文本")
    return _compiled(source, mode)


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str):
    if len(source) > MAX_SOURCE:
        raise ScriptRefused(f"脚本过长（上限 {MAX_SOURCE} 个字符）")
    compile_mode = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:  # Python's own compiler finds some errors only after parsing (`return` outside a function …)
        tree = ast.parse(source, FILENAME, mode)
        problems = static_problems(tree)
        result = None if problems else compile_mode(tree, FILENAME, policy=SandboxPolicy)
    except (SyntaxError, ValueError) as err:
        where = f"（第 {err.lineno} 行）" if getattr(err, "lineno", None) else ""
        raise ScriptRefused(f"语法错误{where}：{getattr(err, 'msg', err)}") from None
    except (RecursionError, MemoryError):
        raise ScriptRefused("表达式嵌套过深") from None
    problems = problems or list(result.errors)
    if problems:
        raise ScriptRefused("；".join(dict.fromkeys(problems[:5])))
    return result.code


def _call(name: str, *args) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _size(node) -> int:
    """How much code a loop pass or call runs at most, in syntax nodes: its tick's weight."""
    return sum(1 for _ in ast.walk(node)) if not isinstance(node, list) else sum(_size(n) for n in node)


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with the sandbox's refusals (in Chinese) and guards."""

    def error(self, node, info):
        self.errors.append(f"第 {getattr(node, 'lineno', '?')} 行：{info}")

    def not_allowed(self, node):
        construct = CONSTRUCTS.get(type(node).__name__, f"{type(node).__name__} 语法")
        self.error(node, f"不允许使用 {construct}")

    def check_name(self, node, name, allow_magic_methods=False):
        if name is None:
            return
        if name.startswith("_"):
            self.error(node, f"不允许使用以下划线开头的名称 {name}")
        elif name in FORBIDDEN_NAMES:
            self.error(node, f"不允许使用名称 {name}")

    def check_import_names(self, node):
        self.not_allowed(node)
        return node

    def visit_ClassDef(self, node):
        self.not_allowed(node)
        return node

    visit_With = visit_Yield = visit_YieldFrom = visit_ClassDef

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_NAMES:
            self.check_name(node.func, node.func.id)  # said once, in Chinese, not again by the base class
            return node
        return super().visit_Call(node)

    def visit_Constant(self, node):
        if isinstance(node.value, bytes):  # no byte strings: their operators would go unguarded
            self.error(node, "不支持 bytes 字面量")
        return node

    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:  # before the base class turns `print` into its collector
            self.check_name(node, node.id)
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node):
        if node.attr not in ATTRIBUTE_NAMES:
            self.error(node, f"不允许访问属性 {node.attr}")
            return node
        if not isinstance(node.ctx, ast.Load):
            self.error(node, f"不允许给属性 {node.attr} 赋值或删除属性")
            return node
        return super().visit_Attribute(node)

    def visit_AugAssign(self, node):
        if not isinstance(node.target, ast.Name):
            self.error(node, "复合赋值（如 +=）只能用于变量；下标请写成 d[k] = d[k] + 1")
            return node
        return super().visit_AugAssign(node)

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        return self._replace(node, _call("_op_", ast.Constant(OPERATORS[type(node.op)]), node.left, node.right))

    def visit_Compare(self, node):
        plain = (len(node.ops) == 1 and not isinstance(node.ops[0], ast.In | ast.NotIn)
                 and (isinstance(node.left, ast.Constant) or isinstance(node.comparators[0], ast.Constant)))
        node = self.node_contents_visit(node)
        if plain:  # `decision == "pass"`: comparing with a constant costs nothing; conditions stay fast
            return node
        ops = ast.Tuple([ast.Constant(COMPARE[type(op)]) for op in node.ops], ast.Load())
        return self._replace(node, _call("_compare_", node.left, ops, *node.comparators))

    def visit_FormattedValue(self, node):
        node = self.node_contents_visit(node)
        spec = node.format_spec or ast.Constant("")
        value = _call("_format_", node.value, ast.Constant(CONVERSIONS[node.conversion]), spec)
        copy_locations(value, node.value)
        return self._replace(node, ast.FormattedValue(value=value, conversion=-1, format_spec=None))

    def visit_Starred(self, node):
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):  # `[*x]` and `f(*x)` iterate x in C: make it tick
            node.value = self._replace(node.value, _call("_each_", node.value))
        return node

    def visit_Dict(self, node):
        node = self.node_contents_visit(node)
        node.keys = [k if k is None or isinstance(k, ast.Constant) else self._replace(k, _call("_key_", k))
                     for k in node.keys]
        return node

    def visit_Set(self, node):
        node = self.node_contents_visit(node)
        node.elts = [e if isinstance(e, ast.Constant | ast.Starred) else self._replace(e, _call("_key_", e))
                     for e in node.elts]
        return node

    def visit_ListComp(self, node):
        return self._ticking_comprehension(super().visit_ListComp(node), node.elt)

    def visit_GeneratorExp(self, node):
        return self._ticking_comprehension(super().visit_GeneratorExp(node), node.elt)

    def visit_SetComp(self, node):
        node = self._ticking_comprehension(super().visit_SetComp(node), node.elt)
        node.elt = self._replace(node.elt, _call("_key_", node.elt))
        return node

    def visit_DictComp(self, node):
        node = self._ticking_comprehension(super().visit_DictComp(node), [node.key, node.value])
        node.key = self._replace(node.key, _call("_key_", node.key))
        return node

    def visit_For(self, node):
        node = super().visit_For(node)
        node.body.insert(0, self._tick(node.body, node))
        return node

    def visit_While(self, node):
        node = super().visit_While(node)
        node.body.insert(0, self._tick(node.body, node))
        return node

    def visit_FunctionDef(self, node):
        if node.decorator_list:
            self.error(node, "不允许使用装饰器")
        node = super().visit_FunctionDef(node)
        enter = ast.Expr(_call("_enter_", ast.Constant(_size(node.body))))
        leave = ast.Expr(_call("_leave_"))
        guarded = ast.Try(body=node.body, handlers=[], orelse=[], finalbody=[leave])
        for new in (enter, leave, guarded):
            copy_locations(new, node)
        node.body = [enter, guarded]
        return node

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        tick = _call("_tick_", ast.Constant(_size(node.body)))
        node.body = self._replace(node.body, ast.BoolOp(op=ast.And(), values=[tick, node.body]))
        return node

    def _ticking_comprehension(self, node, body):
        weight = _size(body) + sum(_size(g.ifs) for g in node.generators) + 1
        for generator in node.generators:
            tick = _call("_tick_", ast.Constant(weight))
            copy_locations(tick, generator.iter)
            generator.ifs.insert(0, tick)
        return node

    def _tick(self, body, node) -> ast.Expr:
        tick = ast.Expr(_call("_tick_", ast.Constant(_size(body) + 1)))
        copy_locations(tick, node)
        return tick

    @staticmethod
    def _replace(old, new):
        copy_locations(new, old)
        return new
