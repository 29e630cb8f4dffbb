"""Turning BPMN XML into a SpiffWorkflow spec, with every problem tied to its element."""

import ast
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from . import diagram_checks as checks
from .element_settings import read_settings
from .errors import InvalidDefinition, Problem, ScriptRefused
from .labels import BPMN_NS, label_of, sentence, short, spec_label
from .messages import describe
from .script_engine import check_source
from .spec_classes import EngineBpmnParser

__all__ = ["BPMN_NS", "MAX_XML_BYTES", "ParsedDefinition", "UserTaskOutline", "check_spec", "outline",
           "parse_definition", "read_xml"]

MAX_XML_BYTES = 2 * 1024 * 1024
ISO_DURATION = re.compile(r"^P(?=[\dT])(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?$")
MAX_SHOWN_SOURCE = 60


@dataclass(frozen=True)
class UserTaskOutline:
    element_id: str
    name: str
    lane: str | None


@dataclass
class ParsedDefinition:
    """What a deploy needs: the spec, its subprocess specs and an outline of its user tasks.

    `spec_json` is the spec as the engine stores it, set once the spec is known to serialize.
    """

    key: str
    name: str
    spec: object
    subprocess_specs: dict
    user_tasks: list[UserTaskOutline] = field(default_factory=list)
    start_event_ids: list[str] = field(default_factory=list)
    lanes: set[str] = field(default_factory=set)
    spec_json: str | None = None
    settings: dict = field(default_factory=dict)  # engine.element_settings, by element id


def read_xml(xml: bytes | str) -> etree._Element:
    """The document's root element. Raises InvalidDefinition if it is too large, not XML or not BPMN."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if len(raw) > MAX_XML_BYTES:
        raise InvalidDefinition([Problem(None, f"文件过大（上限 {MAX_XML_BYTES // 1024} KB）")])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as err:
        if raw.strip() and "Document is empty" in str(err.msg):  # lxml's word for bytes it cannot read at all
            binary = Problem(None, "不是有效的 XML：文件开头不是 XML 内容（可能是二进制文件）")
            raise InvalidDefinition([binary]) from None
        raise InvalidDefinition([describe(err)]) from None
    if root is None or root.tag != f"{{{BPMN_NS}}}definitions":
        raise InvalidDefinition([Problem(None, "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")])
    return root


class _Index:
    """The file's elements by id and its sequence flows by their ends, to name what a spec came from."""

    def __init__(self, root):
        self.by_id, self.flows = {}, {}
        for el in (root.iter(f"{{{BPMN_NS}}}*") if root is not None else ()):
            if el.get("id"):
                self.by_id.setdefault(el.get("id"), el)
            if el.tag == f"{{{BPMN_NS}}}sequenceFlow":
                self.flows.setdefault((el.get("sourceRef"), el.get("targetRef")), el)

    def label(self, bpmn_id: str | None, task_spec) -> str:
        el = self.by_id.get(bpmn_id) if bpmn_id else None
        return label_of(el) if el is not None else spec_label(task_spec)

    def flow_label(self, source: str | None, target_spec) -> str | None:
        """The sequence flow from `source` to the task spec a condition leads to, when there is one."""
        flow = self.flows.get((source, getattr(target_spec, "bpmn_id", None)))
        return label_of(flow) if flow is not None else None


def _expressions(spec, index: _Index) -> list[tuple[str, str, str, str]]:
    """Each (element id, its label, mode, source) that the script engine will run for this spec."""
    found = []
    for ts in spec.task_specs.values():
        bpmn_id = getattr(ts, "bpmn_id", None) or ts.name
        own = index.label(bpmn_id, ts)
        for condition, output in getattr(ts, "cond_task_specs", []) or []:
            source = getattr(condition, "args", [None])[0] if condition is not None else None
            if source:
                target = spec.task_specs.get(output) if isinstance(output, str) else output
                where = index.flow_label(bpmn_id, target) or own
                found.append((bpmn_id, sentence(where, "的条件"), "eval", source))
        if isinstance(ts, ScriptTask) and ts.script:
            found.append((bpmn_id, sentence(own, "的脚本"), "exec", ts.script))
        if isinstance(ts, LoopTask):
            for attr, what in (("condition", "的循环条件"), ("cardinality", "的实例数表达式")):
                value = getattr(ts, attr, None)
                if isinstance(value, str) and value:
                    found.append((bpmn_id, sentence(own, what), "eval", value))
        event_def = getattr(ts, "event_definition", None)
        expression = getattr(event_def, "expression", None)
        if isinstance(expression, str) and expression:
            found.append((bpmn_id, sentence(own, "的事件表达式"), "eval", expression))
    return found


def _refusal(source: str, mode: str) -> str | None:
    """Why the sandbox refuses the expression, or None; a syntax error is told by line and column."""
    try:
        ast.parse(source, mode=mode)
    except SyntaxError as err:
        return f"第 {err.lineno or 1} 行第 {err.offset or 1} 列附近有语法错误"
    except (ValueError, MemoryError, RecursionError):  # NUL bytes, or nesting the parser gives up on
        return "无法解析（含有不允许的字符或嵌套过深）"
    try:
        check_source(source, mode)
    except ScriptRefused as err:
        return err.message
    return None


def _check_timer(where: str, event_def) -> str | None:
    # Timer expressions are Python: a literal duration must be quoted ("P5D"). When the
    # expression is a literal we also check the ISO value; otherwise it is read from data.
    if not isinstance(event_def.expression, str) or not event_def.expression.strip():
        return sentence(where, "没有时间表达式")
    try:
        node = ast.parse(event_def.expression, mode="eval").body
    except (SyntaxError, ValueError):
        return None  # reported by the script check
    if isinstance(node, ast.Name) and ISO_DURATION.match(node.id):
        return sentence(where, f"的定时表达式 {node.id} 会被当作变量名；时长须加引号，如 \"{node.id}\"")
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return sentence(where, "的定时表达式须为带引号的 ISO 8601 字符串，如 \"P5D\"")
        try:
            value = node.value
            if value.upper().startswith("R"):
                TimerEventDefinition.parse_iso_recurring_interval(value)
            else:
                TimerEventDefinition.parse_time_or_duration(value)
        except Exception:  # noqa: BLE001 - the parser raises bare Exception on bad input
            return sentence(where, f"的定时表达式 “{short(value, MAX_SHOWN_SOURCE)}” 不是有效的 ISO 8601 时间或时长")
    return None


def check_spec(spec, subprocess_specs, root=None) -> list[Problem]:
    """Every condition, script and timer of the spec and its subprocesses, checked up front."""
    problems, index = [], _Index(root)
    for each in [spec, *subprocess_specs.values()]:
        for bpmn_id, where, mode, source in _expressions(each, index):
            why = _refusal(source, mode)
            if why:
                shown = short(source, MAX_SHOWN_SOURCE)
                problems.append(Problem(bpmn_id, f"{where}被拒绝：{why}（表达式：{shown}）"))
        for ts in each.task_specs.values():
            event_def = getattr(ts, "event_definition", None)
            if isinstance(event_def, TimerEventDefinition):
                bpmn_id = getattr(ts, "bpmn_id", None) or ts.name
                why = _check_timer(index.label(bpmn_id, ts), event_def)
                if why:
                    problems.append(Problem(bpmn_id, why))
    return problems


def _spiff_parse(root, key: str):
    parser = EngineBpmnParser()
    parser.add_bpmn_xml(root, filename=f"{key}.bpmn")
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def parse_definition(xml: bytes | str, process_key: str | None = None) -> ParsedDefinition:
    """Parse and check one BPMN document.

    Raises InvalidDefinition listing every problem found, by element id; nothing else, whatever
    the file holds.
    """
    root = read_xml(xml)
    problems = checks.unsupported(root) + checks.identities(root) + checks.shapes(root)
    if problems:
        raise InvalidDefinition(problems)
    key = checks.choose_process(root, process_key)
    processes = checks.deployed_processes(root, key)
    settings, problems = read_settings(processes)
    problems += (checks.structure(root, key) + checks.references(root, processes)
                 + checks.sizes(root, processes))
    if problems:
        raise InvalidDefinition(problems)
    try:
        spec, subprocess_specs = _spiff_parse(root, key)
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow's parser raises whatever its code meets
        # on a malformed file (KeyError, TypeError, XPath errors, RecursionError…); every one of
        # them is a refusal of the file, told in Chinese by the element it concerns.
        raise InvalidDefinition([describe(err, root)]) from None
    problems = check_spec(spec, subprocess_specs, root)
    if problems:
        raise InvalidDefinition(problems)
    parsed = outline(key, spec, subprocess_specs)
    parsed.settings = settings
    return parsed


def outline(key: str, spec, subprocess_specs) -> ParsedDefinition:
    parsed = ParsedDefinition(key=key, name=spec.description or key, spec=spec,
                              subprocess_specs=subprocess_specs)
    for each in [spec, *subprocess_specs.values()]:
        for ts in each.task_specs.values():
            if isinstance(ts, UserTask) and not isinstance(ts, LoopTask):
                parsed.user_tasks.append(UserTaskOutline(ts.bpmn_id, ts.bpmn_name or ts.bpmn_id, ts.lane))
            if getattr(ts, "lane", None):
                parsed.lanes.add(ts.lane)
            if isinstance(ts, CatchingEvent) and type(ts).__name__ == "StartEvent" and each is spec:
                parsed.start_event_ids.append(ts.bpmn_id)
    return parsed
