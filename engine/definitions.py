"""Deploying diagrams as immutable, numbered versions."""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict, DefinitionNotFound, InvalidDefinition, Problem, ScriptRefused
from .labels import sentence, spec_label
from .messages import describe
from .models import ProcessDefinition
from .parsing import ParsedDefinition, parse_definition
from .state import CODEC, SPEC_REGISTRY, dump_spec, dump_state, load_spec, new_workflow

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# A check the caller adds (lanes it can resolve, forms it needs): returns problems by element.
DefinitionCheck = Callable[[ParsedDefinition, dict], list[Problem]]


@dataclass(frozen=True)
class Deployed:
    id: int
    key: str
    version: int
    created: bool


def checksum(xml: str, forms: dict) -> str:
    blob = xml.encode("utf-8") + json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


class _NoScripts(PythonScriptEngine):
    """Building a workflow runs no script; while a diagram is checked, none may run at all."""

    def evaluate(self, task, expression, external_context=None):
        raise ScriptRefused("校验流程图时不运行表达式")

    def execute(self, task, script, external_context=None):
        raise ScriptRefused("校验流程图时不运行脚本")


def _unstorable(task_spec) -> Problem | None:
    """Why the engine could not store this task spec, or None."""
    bpmn_id = getattr(task_spec, "bpmn_id", None)
    if isinstance(task_spec, ServiceTask):
        return Problem(bpmn_id, sentence(spec_label(task_spec), "尚未配置连接器，无法部署"))
    try:
        json.dumps(SPEC_REGISTRY.convert(task_spec))
    except (TypeError, ValueError, AttributeError, KeyError):
        return Problem(bpmn_id, sentence(spec_label(task_spec), "是流程引擎无法保存的元素，无法部署"))
    return None


def runnable(parsed: ParsedDefinition) -> ParsedDefinition:
    """Everything a deploy and a first start do with the spec, done once on a copy.

    The spec is serialized as the definition row stores it and read back, and a first workflow
    is built on it and its state saved and read as an instance's would be, so that a diagram
    that passes validation also deploys and starts. Sets `parsed.spec_json`.
    Raises InvalidDefinition naming the elements that cannot be stored or run.
    """
    problems = [p for each in [parsed.spec, *parsed.subprocess_specs.values()]
                for ts in each.task_specs.values() if (p := _unstorable(ts))]
    if problems:
        raise InvalidDefinition(problems)
    try:
        spec_json = dump_spec(parsed.spec, parsed.subprocess_specs)
        spec, subprocess_specs = load_spec(spec_json)
        workflow = new_workflow(spec, subprocess_specs, _NoScripts())
        CODEC.decode(dump_state(workflow), spec, subprocess_specs)
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow's serializer and predictions raise what
        # their code meets on a spec they were not written for; any of them refuses the diagram.
        raise InvalidDefinition([describe(err)]) from None
    parsed.spec_json = spec_json
    return parsed


def _in_order(forms) -> str:
    return json.dumps(forms or {}, ensure_ascii=False)


def validate(xml: bytes | str, forms: dict | None, checks: list[DefinitionCheck],
             process_key: str | None = None) -> ParsedDefinition:
    """Run every check a deploy runs, without writing. Raises InvalidDefinition with all problems."""
    parsed = parse_definition(xml, process_key)
    problems: list[Problem] = []
    try:
        runnable(parsed)
    except InvalidDefinition as err:
        problems.extend(err.problems)
    try:
        as_utf8_text(xml)
    except (LookupError, UnicodeError, ValueError, etree.XMLSyntaxError):
        problems.append(Problem(None, "文件声明的字符编码无法转换为 UTF-8"))
    for check in checks:
        problems.extend(check(parsed, forms or {}))
    if problems:
        raise InvalidDefinition(problems)
    return parsed


def deploy(session: Session, xml: bytes | str, forms: dict | None, deployed_by: str | None, clock,
           checks: list[DefinitionCheck], skip_if_unchanged: bool = False) -> Deployed:
    """Store a new version of the process in the file; older versions are never touched.

    Raises InvalidDefinition, before anything is written, when the diagram or its forms fail,
    and Conflict when someone else deployed the same version number at the same moment.
    """
    parsed = validate(xml, forms or {}, checks)
    text = as_utf8_text(xml)
    forms = dict(forms or {})
    digest = checksum(text, forms)
    latest = latest_definition(session, parsed.key, required=False)
    # The checksum ignores key order; a form whose fields were only reordered is still a new version.
    unchanged = latest is not None and latest.checksum == digest and _in_order(latest.forms) == _in_order(forms)
    if skip_if_unchanged and unchanged:
        return Deployed(latest.id, latest.key, latest.version, created=False)
    version = (session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == parsed.key)
    ) or 0) + 1
    now = clock()  # the deploy time, taken once the version number is chosen
    row = ProcessDefinition(
        key=parsed.key, version=version, name=parsed.name, bpmn_xml=text,
        spec_json=parsed.spec_json, forms=forms, settings=parsed.settings,
        checksum=digest, deployed_by=deployed_by, deployed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"流程 {parsed.key} 刚刚由他人部署了第 {version} 版，请刷新后重试") from None
    return Deployed(row.id, row.key, row.version, created=True)


def as_utf8_text(xml: bytes | str) -> str:
    """The document as text, decoded by its own declaration and re-declared as UTF-8."""
    if isinstance(xml, str):
        return xml
    declared = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    encoding = declared.getroottree().docinfo.encoding or "utf-8"
    text = xml.decode(encoding)
    return XML_DECLARATION.sub('<?xml version="1.0" encoding="UTF-8"?>', text, count=1)


def latest_definition(session: Session, key: str, required: bool = True) -> ProcessDefinition | None:
    """The version new instances of `key` start on. Raises DefinitionNotFound when required."""
    row = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).first()
    if row is None and required:
        raise DefinitionNotFound(key)
    return row
