"""Forms are data: one JSON-Schema per user task, rendered by the server and checked before the engine.

A schema may say ``"x-options": "groups"`` (or ``indicator_groups``, ``units``,
``responsible_units``); the choices then come from the organisation tables. Labels are Chinese.
"""

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from engine import Problem

from . import form_safety
from .errors import FormInvalid

FORMS_DIR = Path(__file__).resolve().parent.parent / "bpmn" / "forms"
START_FORM = "start"
# Numbers typed in a form: ASCII digits only (int() and float() would also take "１", "1_0", "nan", "inf").
_INTEGER = re.compile(r"-?[0-9]{1,16}")
_NUMBER = re.compile(r"-?[0-9]{1,16}(\.[0-9]{1,16})?")


def load_shipped_forms(process_key: str, forms_dir: Path = FORMS_DIR) -> dict[str, dict]:
    """The shipped forms of a process, keyed by the element id they belong to."""
    folder = forms_dir / process_key
    if not folder.is_dir():
        return {}
    return {path.stem: json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json"))}


def expand(schema: dict, options: dict[str, list[tuple[str, str]]]) -> dict:
    """A copy of `schema` with every ``x-options`` turned into concrete ``oneOf`` choices."""
    schema = copy.deepcopy(schema)
    for prop in schema.get("properties", {}).values():
        source = prop.get("x-options")
        if source:
            prop["oneOf"] = [{"const": code, "title": name} for code, name in options.get(source, [])]
    return schema


@dataclass
class Field:
    name: str
    title: str
    widget: str
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    placeholder: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: object = None
    conditional: bool = False


def _widget(prop: dict) -> str:
    if prop.get("x-widget"):
        return prop["x-widget"]
    if "oneOf" in prop or "enum" in prop:
        return "select"
    if prop.get("type") == "integer" or prop.get("type") == "number":
        return "number"
    if prop.get("format") == "date":
        return "date"
    if prop.get("type") == "boolean":
        return "checkbox"
    return "text"


def _conditionally_required(schema: dict) -> set[str]:
    names = set()
    for rule in schema.get("allOf", []):
        names.update(rule.get("then", {}).get("required", []))
    return names


def fields(schema: dict) -> list[Field]:
    """The fields of an expanded schema in order, as the task page and the form preview draw them."""
    required = set(schema.get("required", []))
    conditional = _conditionally_required(schema)
    result = []
    for name, prop in schema.get("properties", {}).items():
        choices = [(c.get("const"), c.get("title", c.get("const"))) for c in prop.get("oneOf", [])]
        choices += [(v, v) for v in prop.get("enum", [])]
        result.append(Field(
            name=name, title=prop.get("title", name), widget=_widget(prop), required=name in required,
            choices=choices, placeholder=prop.get("x-placeholder"), minimum=prop.get("minimum"),
            maximum=prop.get("maximum"), default=prop.get("default"), conditional=name in conditional,
        ))
    return result


def coerce(schema: dict, get, getlist) -> dict:
    """Turn HTML form strings into the types the schema asks for; empty fields are left out."""
    data: dict = {}
    errors: dict[str, str] = {}
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type")
        if kind == "array":
            values = [v for v in getlist(name) if str(v).strip()]
            if prop.get("items", {}).get("type") == "integer":
                try:
                    values = [_parse(_INTEGER, int, v) for v in values]
                except ValueError:
                    errors[name] = "格式不正确"
                    continue
            if values:
                data[name] = values
            continue
        raw = get(name)
        if kind == "boolean":
            data[name] = raw in ("on", "true", "1", "yes")
            continue
        if raw is None or str(raw).strip() == "":
            continue
        raw = str(raw).strip()
        if kind == "integer":
            try:
                data[name] = _parse(_INTEGER, int, raw)
            except ValueError:
                errors[name] = "请输入整数"
        elif kind == "number":
            try:
                data[name] = _parse(_NUMBER, float, raw)
            except ValueError:
                errors[name] = "请输入数字"
        else:
            data[name] = raw
    if errors:
        raise FormInvalid(errors)
    return data


def _parse(pattern: re.Pattern, kind, text) -> int | float:
    """`text` as `kind` when it matches `pattern` whole. Raises ValueError otherwise."""
    text = str(text).strip()
    if not pattern.fullmatch(text):
        raise ValueError(text)
    return kind(text)


def _message(error) -> tuple[str, str]:
    path = ".".join(str(p) for p in error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else path
        return missing, "必填"
    if kind == "additionalProperties":
        return path or "_form", "包含表单未定义的字段"
    messages = {
        "minLength": lambda: f"至少 {error.validator_value} 个字",
        "maxLength": lambda: f"不能超过 {error.validator_value} 个字",
        "minimum": lambda: f"不能小于 {error.validator_value}",
        "maximum": lambda: f"不能大于 {error.validator_value}",
        "maxItems": lambda: f"最多 {error.validator_value} 项",
        "type": lambda: "格式不正确",
        "oneOf": lambda: "请选择有效的选项",
        "enum": lambda: "请选择有效的选项",
        "const": lambda: "请选择有效的选项",
        "format": lambda: "日期格式应为 YYYY-MM-DD" if error.validator_value == "date" else "格式不正确",
        "pattern": lambda: "格式不正确",
    }
    return path or "_form", messages.get(kind, lambda: "内容无效")()


def validate(schema: dict, data: dict) -> dict:
    """Check `data` against an expanded schema; return it. Raises FormInvalid with a message per field.

    A schema that could reach outside itself or run long (one stored before deploy refused such
    forms) is not run at all: the submission is refused with a message for the administrator.
    """
    if not isinstance(data, dict):
        raise FormInvalid({"_form": "表单数据必须是对象"})
    too_large = form_safety.oversized(data)
    if too_large:
        raise FormInvalid(too_large)
    try:
        validator = form_safety.validator(schema)
        found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except form_safety.UnsafeSchema as err:
        raise FormInvalid({"_form": f"该环节的表单定义不安全，已拒绝校验，请联系管理员修正：{err}"}) from None
    except (Unresolvable, ValueError) as err:  # a reference or pattern the audit let through
        raise FormInvalid({"_form": f"该环节的表单定义无法校验，请联系管理员修正：{err}"}) from None
    errors: dict[str, str] = {}
    for error in found:
        name, message = _message(error)
        errors.setdefault(name, message)
    if errors:
        raise FormInvalid(errors)
    return data


def check_forms(parsed, forms: dict) -> list[Problem]:
    """Deploy check: every user task has a well-formed form schema that stays inside itself."""
    problems = []
    for task in parsed.user_tasks:
        schema = forms.get(task.element_id)
        if schema is None:
            problems.append(Problem(task.element_id, f"用户任务“{task.name}”缺少表单（JSON Schema）"))
            continue
        problems.extend(_schema_problems(task.element_id, schema, f"用户任务“{task.name or task.element_id}”"))
    for element_id, schema in forms.items():
        if element_id in parsed.start_event_ids:
            problems.extend(_schema_problems(element_id, schema, "开始表单"))
    return problems


def _schema_problems(element_id: str, schema, owner: str) -> list[Problem]:
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return [Problem(element_id, f"{owner}的表单须为 type 为 object 的 JSON Schema")]
    # The audit comes first: it bounds the depth that the metaschema check below then walks.
    unsafe = form_safety.audit(schema)
    if unsafe:
        return [Problem(element_id, f"{owner}的表单，{place}：{why}") for place, why in unsafe]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        return [Problem(element_id, f"{owner}的表单 JSON Schema 无效：{err.message}")]
    for name in schema.get("properties", {}):
        if name.startswith("_") or not name.isidentifier():
            return [Problem(element_id, f"{owner}的表单字段名 {name} 无效（须为字母、数字、下划线，且不以下划线开头）")]
    return []
