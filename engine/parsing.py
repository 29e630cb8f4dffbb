"""Turning BPMN XML into a SpiffWorkflow spec, with every problem tied to its element."""

import ast
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import InvalidDefinition, Problem, ScriptRefused
from .script_engine import check_source
from .spec_classes import EngineBpmnParser

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_XML_BYTES = 2 * 1024 * 1024
# Elements SpiffWorkflow has no runtime for; a diagram that uses them cannot be deployed.
ISO_DURATION = re.compile(r"^P(?=[\dT])(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?$")
UNSUPPORTED = {"complexGateway", "choreographyTask", "subChoreography", "callChoreography",
               "globalTask", "globalUserTask", "globalScriptTask"}


@dataclass(frozen=True)
class UserTaskOutline:
    element_id: str
    name: str
    lane: str | None


@dataclass
class ParsedDefinition:
    """What a deploy needs: the spec, its subprocess specs and an outline of its user tasks."""

    key: str
    name: str
    spec: object
    subprocess_specs: dict
    user_tasks: list[UserTaskOutline] = field(default_factory=list)
    start_event_ids: list[str] = field(default_factory=list)
    lanes: set[str] = field(default_factory=set)


def read_xml(xml: bytes | str) -> etree._Element:
    """The document's root element. Raises InvalidDefinition if it is too large, not XML or not BPMN."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if len(raw) > MAX_XML_BYTES:
        raise InvalidDefinition([Problem(None, f"文件过大（上限 {MAX_XML_BYTES // 1024} KB）")])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as err:
        raise InvalidDefinition([Problem(None, f"不是有效的 XML：{err}")]) from None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise InvalidDefinition([Problem(None, "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")])
    return root


def _unsupported(root) -> list[Problem]:
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = el.tag.split("}", 1)[1]
        if local in UNSUPPORTED:
            problems.append(Problem(el.get("id"), f"流程引擎不支持 {local} 元素"))
    return problems


def _choose_process(root, wanted: str | None) -> str:
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if not processes:
        raise InvalidDefinition([Problem(None, "文件中没有流程（bpmn:process）")])
    if wanted:
        return wanted
    executable = [p for p in processes if p.get("isExecutable", "true").lower() == "true"]
    called = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    candidates = [p for p in (executable or processes) if p.get("id") not in called]
    if len(candidates) != 1:
        ids = "、".join(p.get("id") for p in candidates) or "无"
        raise InvalidDefinition([Problem(None, f"文件须恰好包含一个可执行的顶层流程，现有：{ids}")])
    return candidates[0].get("id")


def _structure(root, key: str) -> list[Problem]:
    """What a runnable diagram needs beyond what the parser checks: a start, and named user tasks."""
    process = next((p for p in root.findall(f"{{{BPMN_NS}}}process") if p.get("id") == key), None)
    if process is None:
        return [Problem(None, f"文件中没有 id 为 {key} 的流程")]
    problems = []
    if process.find(f"{{{BPMN_NS}}}startEvent") is None:
        problems.append(Problem(key, "流程缺少开始事件"))
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        if not (task.get("name") or "").strip():
            problems.append(Problem(task.get("id"), "用户任务须有名称（待办列表中显示）"))
    return problems


def _expressions(spec) -> list[tuple[str, str, str]]:
    """Each (element, what, source) that the script engine will run for this spec."""
    found = []
    for ts in spec.task_specs.values():
        bpmn_id = getattr(ts, "bpmn_id", None) or ts.name
        for condition, _output in getattr(ts, "cond_task_specs", []) or []:
            source = getattr(condition, "args", [None])[0] if condition is not None else None
            if source:
                found.append((bpmn_id, "eval", source))
        if isinstance(ts, ScriptTask) and ts.script:
            found.append((bpmn_id, "exec", ts.script))
        if isinstance(ts, LoopTask):
            for attr in ("condition", "cardinality"):
                value = getattr(ts, attr, None)
                if isinstance(value, str) and value:
                    found.append((bpmn_id, "eval", value))
        event_def = getattr(ts, "event_definition", None)
        expression = getattr(event_def, "expression", None)
        if isinstance(expression, str) and expression:
            found.append((bpmn_id, "eval", expression))
    return found


def _check_timer(bpmn_id, event_def) -> Problem | None:
    # Timer expressions are Python: a literal duration must be quoted ("P5D"). When the
    # expression is a literal we also check the ISO value; otherwise it is read from data.
    try:
        node = ast.parse(event_def.expression, mode="eval").body
    except SyntaxError:
        return None  # reported by the script check
    if isinstance(node, ast.Name) and ISO_DURATION.match(node.id):
        return Problem(bpmn_id, f"定时表达式 {node.id} 会被当作变量名；时长须加引号，如 \"{node.id}\"")
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return Problem(bpmn_id, "定时表达式须为带引号的 ISO 8601 字符串，如 \"P5D\"")
        try:
            value = node.value
            if value.upper().startswith("R"):
                TimerEventDefinition.parse_iso_recurring_interval(value)
            else:
                TimerEventDefinition.parse_time_or_duration(value)
        except Exception:  # noqa: BLE001 - the parser raises bare Exception on bad input
            return Problem(bpmn_id, f"定时表达式 {value!r} 不是有效的 ISO 8601 时间或时长")
    return None


def check_spec(spec, subprocess_specs) -> list[Problem]:
    """Every condition, script and timer of the spec and its subprocesses, checked up front."""
    problems = []
    for each in [spec, *subprocess_specs.values()]:
        for bpmn_id, mode, source in _expressions(each):
            try:
                check_source(source, mode)
            except ScriptRefused as err:
                problems.append(Problem(bpmn_id, f"表达式被拒绝：{err.message}（{source[:80]}）"))
        for ts in each.task_specs.values():
            event_def = getattr(ts, "event_definition", None)
            if isinstance(event_def, TimerEventDefinition):
                problem = _check_timer(getattr(ts, "bpmn_id", ts.name), event_def)
                if problem:
                    problems.append(problem)
    return problems


def parse_definition(xml: bytes | str, process_key: str | None = None) -> ParsedDefinition:
    """Parse and check one BPMN document.

    Raises InvalidDefinition listing every problem found, by element id.
    """
    root = read_xml(xml)
    problems = _unsupported(root)
    if problems:
        raise InvalidDefinition(problems)
    key = _choose_process(root, process_key)
    problems = _structure(root, key)
    if problems:
        raise InvalidDefinition(problems)
    parser = EngineBpmnParser()
    try:
        parser.add_bpmn_xml(root, filename=f"{key}.bpmn")
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as err:
        raise InvalidDefinition([Problem(err.id or None, str(err).splitlines()[0])]) from None
    except (SpiffWorkflowException, KeyError, ValueError, AttributeError, TypeError) as err:
        raise InvalidDefinition([Problem(None, f"无法解析流程：{err}")]) from None
    problems = check_spec(spec, subprocess_specs)
    if problems:
        raise InvalidDefinition(problems)
    return outline(key, spec, subprocess_specs)


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
