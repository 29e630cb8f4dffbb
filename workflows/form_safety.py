"""What a form schema may hold: a form is data, so nothing in it reaches outside the document or runs long.

A JSON Schema can name other documents (``$ref``, ``$id``, ``$schema``, ``$dynamicRef``), ask for
format checks and carry regular expressions (``pattern``, ``patternProperties``). Here a form may
only refer to a place inside itself with a JSON pointer (``#/$defs/…``), the references must not
loop and, counted with every reference replaced by what it points to, the schema stays small;
patterns must compile with RE2, whose matching time grows linearly with the text, and formats
are limited to those checked in-process. `audit` says what breaks these rules (at deploy the form
is refused); `validator` builds a validator that runs the same audit first, never retrieves a
document and matches patterns with RE2, so a form stored before these rules existed cannot fetch
a URL, open a file or hang a worker either.
"""

from datetime import datetime, time
from functools import lru_cache
from urllib.parse import unquote

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from referencing import Registry

MAX_DEPTH = 32  # schemas nested in schemas, references followed
MAX_NODES = 20_000  # schema objects once every reference is replaced by its target
MAX_PATTERN = 1_000  # characters of one regular expression
MAX_STRING = 50_000  # characters of one submitted string; longer ones are refused before validation
MAX_VALUES = 10_000  # values in one submission
FORMATS = ("date", "date-time", "time", "email")
META_SCHEMAS = {"https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#"}

# Keywords whose value is a schema, a list of schemas or an object of schemas. Everything else
# (const, enum, default, examples, x-…) is data and is never read as a schema.
ONE_SCHEMA = ("additionalProperties", "items", "contains", "propertyNames", "if", "then", "else", "not",
              "unevaluatedItems", "unevaluatedProperties", "additionalItems", "contentSchema")
LIST_OF_SCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
MAP_OF_SCHEMAS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions", "dependencies")
# Keywords that name or re-root documents: none has a use inside a self-contained form.
REFUSED = {
    "$id": "不允许 $id（表单不得改变自身的基准地址）",
    "$anchor": "不允许 $anchor（引用请用 #/… 形式的 JSON 指针）",
    "$dynamicRef": "不允许 $dynamicRef（引用请用 #/… 形式的 JSON 指针）",
    "$dynamicAnchor": "不允许 $dynamicAnchor",
    "$recursiveRef": "不允许 $recursiveRef（引用请用 #/… 形式的 JSON 指针）",
    "$recursiveAnchor": "不允许 $recursiveAnchor",
    "$vocabulary": "不允许 $vocabulary",
}

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


class UnsafeSchema(Exception):
    """A form schema that breaks the rules above; `problems` lists (where, why) in Chinese."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("；".join(f"{where}：{why}" for where, why in problems))
        self.problems = problems


def where(path: tuple) -> str:
    """The field a schema path belongs to, in words: '字段 measures', or '表单' for the rest."""
    if len(path) >= 2 and path[0] == "properties":
        return f"字段 {path[1]}"
    return "表单" if not path else "表单 " + "/".join(str(p) for p in path)


def compile_pattern(pattern) -> "re2._Regexp":
    """The pattern compiled by RE2. Raises ValueError, in Chinese, for one RE2 cannot run."""
    if not isinstance(pattern, str):
        raise ValueError("正则表达式须为字符串")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"正则表达式过长（上限 {MAX_PATTERN} 个字符）")
    return _compiled(pattern)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> "re2._Regexp":
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as err:
        detail = err.args[0].decode("utf-8", "replace") if err.args and isinstance(err.args[0], bytes) else err
        raise ValueError(f"正则表达式 {pattern!r} 不受支持"
                         f"（不允许回溯引用、环视等可能运行失控的写法：{detail}）") from None


class _Audit:
    """One pass over a schema, following its references; collects problems and counts nodes."""

    def __init__(self, root):
        self.root = root
        self.problems: list[tuple[str, str]] = []
        self.sizes: dict[tuple, int] = {}
        self.open: set[tuple] = set()

    def problem(self, path: tuple, why: str) -> None:
        if (where(path), why) not in self.problems:
            self.problems.append((where(path), why))

    def visit(self, node, path: tuple, depth: int) -> tuple[int, int]:
        """The node's size and height with references expanded; each node is checked once (by path)."""
        if path in self.open:
            self.problem(path, "引用形成循环（表单引用了包含该引用的部分）")
            return 0, 0
        if path not in self.sizes:
            if depth > MAX_DEPTH:
                self.problem(path, f"嵌套或引用层级过深（上限 {MAX_DEPTH} 层）")
                return 0, 0
            self.open.add(path)
            size, height = self._children(node, path, depth) if isinstance(node, dict) else (0, 0)
            self.open.discard(path)
            self.sizes[path] = (size + 1, height + 1)
        size, height = self.sizes[path]
        if depth + height > MAX_DEPTH + 1:
            self.problem(path, f"嵌套或引用层级过深（上限 {MAX_DEPTH} 层）")
        return size, height

    def _children(self, node: dict, path: tuple, depth: int) -> tuple[int, int]:
        self._keywords(node, path)
        found = []
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                target = self._target(value, path)
                if target is not None:
                    found.append(self.visit(target[0], target[1], depth + 1))
            elif key in MAP_OF_SCHEMAS and isinstance(value, dict):
                found += [self.visit(sub, (*path, key, name), depth + 1)
                          for name, sub in value.items() if isinstance(sub, dict | bool)]
            elif key in LIST_OF_SCHEMAS and isinstance(value, list):
                found += [self.visit(sub, (*path, key, index), depth + 1) for index, sub in enumerate(value)]
            elif key in ONE_SCHEMA and isinstance(value, dict | bool):
                found.append(self.visit(value, (*path, key), depth + 1))
        return sum(size for size, _ in found), max((height for _, height in found), default=0)

    def _keywords(self, node: dict, path: tuple) -> None:
        for key, why in REFUSED.items():
            if key in node:
                self.problem(path, why)
        if "$schema" in node and (path or not isinstance(node["$schema"], str) or node["$schema"] not in META_SCHEMAS):
            self.problem(path, "$schema 只能在表单根部，且只能是 https://json-schema.org/draft/2020-12/schema")
        if "format" in node and (not isinstance(node["format"], str) or node["format"] not in FORMATS):
            self.problem(path, f"不支持的格式 {node['format']!r}（可用：{'、'.join(FORMATS)}）")
        patterns = [node["pattern"]] if "pattern" in node else []
        if isinstance(node.get("patternProperties"), dict):
            patterns += list(node["patternProperties"])
        for pattern in patterns:
            try:
                compile_pattern(pattern)
            except ValueError as err:
                self.problem(path, str(err))

    def _target(self, ref: str, path: tuple):
        """(node, path) a local JSON-pointer reference points to; None (with a problem) otherwise."""
        if not ref.startswith("#") or (len(ref) > 1 and not ref.startswith("#/")):
            self.problem(path, f"不允许引用 {ref!r}：表单只能引用自身内部（#/… 形式的 JSON 指针），不得引用网址或文件")
            return None
        node, at = self.root, ()
        for raw in ref[2:].split("/") if len(ref) > 1 else []:
            token = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node, at = node[token], (*at, token)
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node, at = node[int(token)], (*at, int(token))
            else:
                self.problem(path, f"引用 {ref!r} 指向的位置在表单中不存在")
                return None
        if not isinstance(node, dict | bool):
            self.problem(path, f"引用 {ref!r} 指向的不是一个 schema")
            return None
        return node, at


def audit(schema) -> list[tuple[str, str]]:
    """Every way `schema` reaches outside itself or could run long, as (where, why) in Chinese."""
    check = _Audit(schema)
    size, _height = check.visit(schema, (), 0)
    if size > MAX_NODES and not check.problems:
        check.problem((), f"表单过于复杂（展开引用后超过 {MAX_NODES} 个 schema 节点）")
    return check.problems


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        compiled = compile_pattern(pattern)
        for key, value in instance.items():
            if compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_SafeValidator = validators.extend(Draft202012Validator, {"pattern": _pattern,
                                                          "patternProperties": _pattern_properties})
_FORMAT_CHECKER = FormatChecker(formats=("date", "email"))


@_FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    # RFC 3339 wants an offset; datetime reads the rest of the text in-process.
    return not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@_FORMAT_CHECKER.checks("time", raises=ValueError)
def _is_time(value) -> bool:
    return not isinstance(value, str) or time.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def validator(schema):
    """A Draft 2020-12 validator that retrieves nothing and matches with RE2. Raises UnsafeSchema."""
    problems = audit(schema)
    if problems:
        raise UnsafeSchema(problems)
    # An empty registry: references resolve inside the document (and to the bundled metaschemas) only.
    return _SafeValidator(schema, registry=Registry(), format_checker=_FORMAT_CHECKER)


def oversized(data) -> dict[str, str]:
    """Submitted values too large to validate, by field: strings over MAX_STRING, more than MAX_VALUES values."""
    problems: dict[str, str] = {}
    stack = [(name, value) for name, value in data.items()] if isinstance(data, dict) else []
    count = 0
    while stack:
        field, value = stack.pop()
        count += 1
        if count > MAX_VALUES:
            return {"_form": f"提交的内容过多（上限 {MAX_VALUES} 项）"}
        if isinstance(value, str) and len(value) > MAX_STRING:
            problems.setdefault(field, f"内容过长（上限 {MAX_STRING} 个字）")
        elif isinstance(value, dict):
            stack.extend((field, v) for v in value.values())
        elif isinstance(value, list):
            stack.extend((field, v) for v in value)
    return problems
