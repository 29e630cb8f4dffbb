"""SpiffWorkflow's errors as an admin reads them: in Chinese, naming the element.

SpiffWorkflow raises English sentences, some with a Python object's repr in them
(``<Element {…}sourceRef at 0x7f…>``), some wrapping another exception's repr, and lxml under it
raises its own English. ``describe`` turns any of them into a Problem: the element's BPMN id
and a Chinese sentence that names the element by kind, id and name. Texts we know are
translated; any other gets a Chinese sentence naming the element, and its English is logged,
never shown.
"""

import logging
import re
from collections.abc import Callable

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import WorkflowException

from .errors import EngineError, Problem
from .labels import BPMN_NS, label, label_of, local_name, sentence, short, spec_label

log = logging.getLogger(__name__)

REF_KINDS = {"messageRef": "消息", "signalRef": "信号", "errorRef": "错误", "escalationRef": "升级"}


class _Context:
    """Where an error happened: the element's id, its label, its XML node and the document."""

    def __init__(self, element_id, text, node=None, root=None):
        self.element_id = element_id or None
        self.label = text
        self.node = node
        self.root = root


def _dangling_data(ctx, association: str, end: str) -> str:
    """Which data the task's associations point at that is not a data object reference of its process."""
    by_id = {}
    if ctx.root is not None:
        by_id = {el.get("id"): el for el in ctx.root.iter(f"{{{BPMN_NS}}}*") if el.get("id")}
    refs = []
    if ctx.node is not None:
        for assoc in ctx.node.findall(f"{{{BPMN_NS}}}{association}"):
            refs.extend((r.text or "").strip() for r in assoc.findall(f"{{{BPMN_NS}}}{end}"))
    shown = []
    for ref in refs:
        el = by_id.get(ref)
        if el is not None and local_name(el.tag) in ("dataObjectReference", "dataStoreReference"):
            continue
        shown.append(label_of(el) if el is not None else f"{short(ref, 40) or '（空）'}（文件中没有）")
    way = "输入" if association == "dataInputAssociation" else "输出"
    what = "、".join(shown) if shown else "的数据"
    return sentence(ctx.label, f"的数据{way}关联连接的 {what} 无法使用：只能连接本流程中的数据对象引用"
                                "（dataObjectReference）")


def _dangling_ref(ctx) -> str:
    if ctx.node is not None and ctx.root is not None:
        ids = {el.get("id") for el in ctx.root.iter() if isinstance(el.tag, str)}
        for definition in ctx.node.iter():
            for attr, kind in REF_KINDS.items():
                ref = definition.get(attr) if isinstance(definition.tag, str) else None
                if ref and ref not in ids:
                    return sentence(ctx.label, f"引用的{kind} {short(ref, 40)} 在文件中不存在")
    return sentence(ctx.label, "引用的消息、信号、错误或升级定义在文件中不存在")


Rule = tuple[re.Pattern, Callable[[re.Match, _Context], str]]


def _rule(pattern: str, render) -> Rule:
    if isinstance(render, str):
        text = render
        return re.compile(pattern, re.S), lambda m, ctx: sentence(ctx.label, text.format(**m.groupdict()))
    return re.compile(pattern, re.S), render


# SpiffWorkflow's parser texts (SpiffWorkflow/bpmn/parser), each with its Chinese sentence.
PARSE_RULES: list[Rule] = [
    _rule(r"Non-default exclusive outgoing sequence flow without condition",
          "既不是所在网关的默认流，也没有条件；请为它设置条件，或把它设为网关的默认流"),
    _rule(r"Process (?P<id>.*) is not executable",
          "未标记为可执行（isExecutable）；只有可执行的流程才能部署"),
    _rule(r"No start event found", "缺少开始事件"),
    _rule(r"Exactly one start event is required in a SubWorkflow Task; found (?P<n>\d+)",
          "须恰好有一个开始事件，现有 {n} 个"),
    _rule(r"A SubWorkflow Must contain an End event", "须包含结束事件"),
    _rule(r'No "calledElement" attribute for Call Activity', "没有指定要调用的流程（calledElement）"),
    _rule(r"Invalid Script Task\.\s+No Script Provided", "没有脚本内容"),
    _rule(r"There is no support implemented for this task type", "属于流程引擎不支持的元素类型"),
    _rule(r"Multiple outgoing flows are not supported for tasks of type",
          "有多条流出的顺序流，此类元素只能有一条；请在其后加一个网关来分支"),
    _rule(r"When looking for a task spec, we found two items.*\((?P<target>.*)\)",
          "的流出顺序流指向 {target}，文件中没有这个元素"),
    _rule(r"Cancel Events may only be used with transactions", "带有取消事件，取消事件只能用于事务子流程"),
    _rule(r"A loopMaximum or loopCondition must be specified for Loop Tasks",
          "是循环任务，须指定最大次数（loopMaximum）或循环条件（loopCondition）"),
    _rule(r"A multiinstance task must specify a cardinality or a loop input data reference",
          "是多实例任务，须指定实例数（loopCardinality）或输入集合（loopDataInputRef）"),
    _rule(r"A multiinstance task must specify exactly one of cardinality or loop input data reference",
          "是多实例任务，实例数（loopCardinality）与输入集合（loopDataInputRef）只能指定其一"),
    _rule(r"The loop input data reference is missing from the IO specification",
          "的多实例输入集合没有在输入输出定义（ioSpecification）中声明"),
    _rule(r"The loop output data reference is missing from the IO specification",
          "的多实例输出集合没有在输入输出定义（ioSpecification）中声明"),
    _rule(r"Conditional event definition with missing condition", "是条件事件，但没有条件"),
    _rule(r"Unknown Time Specification", "的定时器没有指定时间（timeDate、timeDuration 或 timeCycle）"),
    _rule(r"Time Specification Error", "的定时器定义无效"),
    _rule(r"Cannot resolve dataInputAssociation",
          lambda m, ctx: _dangling_data(ctx, "dataInputAssociation", "sourceRef")),
    _rule(r"Cannot resolve dataOutputAssociation",
          lambda m, ctx: _dangling_data(ctx, "dataOutputAssociation", "targetRef")),
    _rule(r"Data Store with name (?P<name>.*) has no implementation",
          "是外部数据存储，流程引擎不支持读写数据存储"),
    _rule(r"Data Store (identifier|name) is missing", "缺少 id 或名称"),
    _rule(r"(?P<kind>Message|Signal|Error|Escalation|Correlation) identifier is missing",
          lambda m, ctx: f"文件中有{_KIND_WORDS[m['kind']]}定义缺少 id"),
    _rule(r"Correlation is missing correlation property retrieval expressions: (?P<id>.*)",
          lambda m, ctx: f"关联属性 {short(m['id'], 40)} 缺少取值表达式（correlationPropertyRetrievalExpression）"),
    _rule(r"Message identifier is missing from correlation property: (?P<id>.*)",
          lambda m, ctx: f"关联属性 {short(m['id'], 40)} 的取值表达式没有指定消息（messageRef）"),
    _rule(r"Could not find messageRef from message event definition: (?P<id>.*)",
          lambda m, ctx: f"消息开始事件的定义 {short(m['id'], 40)} 没有指定消息（messageRef）"),
    _rule(r"Duplicate process ID: (?P<id>.*)", "的 id 与另一个流程重复"),
    _rule(r"The process '(?P<id>.*)' was not found",
          lambda m, ctx: f"文件中没有 id 为 {short(m['id'], 40)} 的可执行流程"),
    _rule(r"Sequential ordering for ad hoc subprocesses not supported",
          "是自由子流程，流程引擎不支持其顺序执行（ordering=\"Sequential\"）"),
    _rule(r"Ad hoc subprocesses may not contain start or end events", "是自由子流程，其中不能有开始或结束事件"),
    _rule(r"raise_validation_exception\(\) got an unexpected keyword argument", lambda m, ctx: _dangling_ref(ctx)),
    _rule(r"invalid literal for int\(\) with base 10: '(?P<value>.*)'",
          lambda m, ctx: sentence(ctx.label, f"中的 “{short(m['value'], 40)}” 不是整数")),
    _rule(r"could not convert string to float: '(?P<value>.*)'",
          lambda m, ctx: sentence(ctx.label, f"中的 “{short(m['value'], 40)}” 不是数字")),
    _rule(r"RecursionError|maximum recursion depth",
          "所在的流程过于复杂（连续的环节过多或嵌套过深），无法解析"),
    _rule(r"XPathEvalError|Invalid predicate|Invalid expression", "的 id 或引用中含有无法处理的字符（如引号）"),
]

_KIND_WORDS = {"Message": "消息", "Signal": "信号", "Error": "错误", "Escalation": "升级", "Correlation": "关联属性"}

# SpiffWorkflow's run-time texts (SpiffWorkflow/bpmn/specs, workflow), for errors while stepping.
RUN_RULES: list[Rule] = [
    _rule(r"No conditions satisfied", "没有一条流出顺序流的条件成立，也没有默认流"),
    _rule(r"A default output is required", "须有默认流"),
    _rule(r"The subprocess '(?P<id>.*)' was not found", lambda m, ctx: sentence(
        ctx.label, f"要进入的子流程 {short(m['id'], 40)} 不存在")),
    _rule(r"The called process '(?P<id>.*)' was not found", lambda m, ctx: sentence(
        ctx.label, f"要调用的流程 {short(m['id'], 40)} 不存在")),
    _rule(r"Missing data input for multiinstance task", "的多实例输入集合没有数据"),
    _rule(r"Expected an output item", "是多实例任务，缺少输出项"),
    _rule(r"Only a mutable map \(dict\) or sequence \(list\) can be used for output", "的多实例输出集合须为字典或列表"),
    _rule(r"If the input is not being updated in place", "的多实例输出集合须为空或为字典"),
    _rule(r"Multiinstance data input must be iterable", "的多实例输入集合须为列表或字典"),
    _rule(r"Missing data input", "缺少所需的输入数据"),
    _rule(r"Missing data ou?tput", "没有产出所需的输出数据"),
    _rule(r"The data object could not be read; '(?P<id>.*)' does not exist", lambda m, ctx: sentence(
        ctx.label, f"要读取的数据对象 {short(m['id'], 40)} 尚无值")),
    _rule(r"A data object could not be set; '(?P<id>.*)' not exist", lambda m, ctx: sentence(
        ctx.label, f"的任务数据中没有 {short(m['id'], 40)}，无法写入数据对象")),
    _rule(r"Multiinstance (?P<way>input|output) item (?P<id>.*) already exists", lambda m, ctx: sentence(
        ctx.label, f"的多实例{'输入' if m['way'] == 'input' else '输出'}项 {short(m['id'], 40)} 与已有数据重名")),
    _rule(r"If loop cardinality is specificied", "指定了实例数，其输出集合须为字典或空列表"),
    _rule(r"You are missing a required Data Input for a call activity", "缺少调用所需的输入数据"),
    _rule(r"The Data Output was not available in the subprocess output", "的子流程没有产出所需的输出数据"),
    _rule(r"task data that overwrites a predefined function", "的任务数据中有字段与内置函数重名，请改名"),
    _rule(r"This process is not waiting for (?P<name>.*)", lambda m, ctx: f"流程当前不在等待 {short(m['name'], 40)}"),
    _rule(r"Invalid duration", "的定时表达式不是有效的 ISO 8601 时长"),
    _rule(r"Invalid recurring interval", "的定时表达式不是有效的 ISO 8601 循环周期"),
]

PYTHON_ERRORS = {
    "NameError": lambda e: _name_error(e),
    "KeyError": lambda e: f"数据中没有 {short(str(e.args[0]), 40)}" if e is not None and e.args else "数据中缺少键",
    "ZeroDivisionError": lambda e: "除数为零",
    "TypeError": lambda e: "数据类型不匹配",
    "ValueError": lambda e: "取值无效",
    "IndexError": lambda e: "下标超出范围",
    "AttributeError": lambda e: "对象没有所需的属性",
    "SyntaxError": lambda e: "语法错误",
    "RecursionError": lambda e: "递归过深",
    "OverflowError": lambda e: "数值超出范围",
    "MemoryError": lambda e: "内存不足",
}


def _name_error(err) -> str:
    found = re.match(r"name '(.+)' is not defined", str(err)) if err is not None else None
    return f"变量 {short(found[1], 40)} 未定义" if found else "使用了未定义的变量"


def python_error(err: BaseException | None, type_name: str | None = None) -> str:
    """A Python exception raised by a script or condition, as a short Chinese phrase."""
    if isinstance(err, EngineError):
        return err.message
    name = type_name or type(err).__name__
    render = PYTHON_ERRORS.get(name)
    return render(err) if render else "运行出错"


def describe(err: BaseException, root=None) -> Problem:
    """What went wrong, as one Problem naming the element; for any exception, never raises.

    `root` is the diagram's XML root when known: it lets an error that only carries an id say
    which kind of element that is and what it is called.
    """
    if isinstance(err, EngineError):
        return Problem(None, err.message)
    if isinstance(err, etree.XMLSyntaxError):
        line, column = err.position
        return Problem(None, f"不是有效的 XML：第 {line} 行第 {column} 列，{xml_reason(err)}")
    ctx = _context(err, root)
    text = _english(err)
    rules = RUN_RULES if isinstance(err, WorkflowException) else PARSE_RULES
    if isinstance(err, WorkflowTaskException):
        message = _task_error(err, ctx, text)
        if message:
            return Problem(ctx.element_id, message)
    for pattern, render in rules + (PARSE_RULES if rules is RUN_RULES else RUN_RULES):
        found = pattern.search(text)
        if found:
            return Problem(ctx.element_id, render(found, ctx))
    log.info("untranslated %s at %s: %s", type(err).__name__, ctx.element_id, text)
    if isinstance(err, WorkflowException):
        return Problem(ctx.element_id, sentence(ctx.label, "运行出错：流程引擎的内部状态与流程图不一致"))
    return Problem(ctx.element_id, sentence(ctx.label, "无法被流程引擎读取，请检查它的属性和连线"))


def _english(err: BaseException) -> str:
    """The exception's own text with its type, without SpiffWorkflow's appended notes."""
    args = getattr(err, "args", ())
    text = str(args[0]) if args else ""
    return f"{type(err).__name__}: {text}"


def _context(err, root) -> _Context:
    if isinstance(err, ValidationException):
        node = _find(root, err.id) if err.id else None
        tag = node.tag if node is not None else (err.tag or "")
        name = err.name or (node.get("name") if node is not None else None)
        return _Context(err.id, label(local_name(tag), err.id or None, name) if (err.id or name) else "文件",
                        node, root)
    task_spec = getattr(err, "task_spec", None)
    if isinstance(err, WorkflowException) and task_spec is not None and hasattr(task_spec, "bpmn_id"):
        element_id = getattr(task_spec, "bpmn_id", None)
        node = _find(root, element_id)
        text = label_of(node) if node is not None else spec_label(task_spec)
        return _Context(element_id, text, node, root)
    return _Context(None, "流程图", None, root)


def _task_error(err: WorkflowTaskException, ctx: _Context, text: str) -> str | None:
    """A script or condition that failed while running: which element, which line, why."""
    cause = err.__cause__ or err.__context__
    expression = re.search(r"Error evaluating expression '(.*)'", text, re.S)
    if expression:
        why = python_error(cause, err.error_type)
        return sentence(ctx.label, f"的表达式 “{short(expression[1], 60)}” 求值出错：{why}")
    if err.error_type not in (None, "unknown") or isinstance(cause, EngineError):
        where = f"第 {err.line_number} 行" if err.line_number else ""
        why = python_error(cause, err.error_type)
        return sentence(ctx.label, f"的脚本{where}出错：{why}")
    return None


def _find(root, element_id):
    if root is None or not element_id:
        return None
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") == element_id:
            return el
    return None


# libxml2's texts for a file that is not well-formed XML.
XML_REASONS = [
    (r"Document is empty", "文件是空的"),
    (r"Start tag expected", "文件开头不是 XML 标签"),
    (r"Premature end of data in tag (?P<tag>[^\s,]+)", "标签 {tag} 没有结束，文件就结束了"),
    (r"Opening and ending tag mismatch: (?P<a>[^\s,]+) line \d+ and (?P<b>[^\s,]+)",
     "起始标签 {a} 与结束标签 {b} 不匹配"),
    (r"Extra content at the end of the document", "根元素之后还有多余的内容"),
    (r"Unsupported encoding", "声明的字符编码不受支持"),
    (r"Invalid bytes in character encoding|not proper UTF-8|Input is not proper", "含有不符合所声明编码的字节"),
    (r"Attribute (?P<attr>[^\s,]+) redefined", "属性 {attr} 重复出现"),
    (r"Char 0x[0-9A-Fa-f]+ out of allowed range|invalid Char value|invalid xmlChar value|"
     r"xmlParseCharRef", "含有 XML 不允许的字符"),
    (r"Namespace prefix (?P<prefix>[^\s,]+) .*is not defined", "命名空间前缀 {prefix} 没有声明"),
    (r"Excessive depth in document", "元素嵌套过深"),
    (r"EntityRef: expecting ';'", "& 须写作 &amp;"),
    (r"Entity '(?P<name>[^']*)' not defined", "实体 {name} 没有定义"),
    (r"Unescaped '<' not allowed in attributes values", "属性值中不能直接出现 <"),
    (r"AttValue: .* expected", "属性值没有用引号括起来或没有结束"),
    (r"attributes construct error", "属性的写法有误"),
    (r"EndTag: '</' not found", "缺少结束标签"),
    (r"expected '>'", "标签没有用 > 结束"),
    (r"Comment not terminated", "注释没有结束"),
    (r"CData section not finished", "CDATA 段没有结束"),
    (r"XML declaration allowed only at the start", "XML 声明只能出现在文件开头"),
    (r"Specification mandates value for attribute (?P<attr>[^\s,]+)", "属性 {attr} 没有值"),
    (r"Couldn't find end of Start Tag (?P<tag>[^\s,]+)", "标签 {tag} 的起始标签不完整"),
    (r"invalid element name", "元素名无效"),
    (r"entity reference loop|Huge input lookup|Maximum entity amplification", "实体引用过多或成环"),
]


def xml_reason(err: etree.XMLSyntaxError) -> str:
    """Why lxml could not read the file, in Chinese; a general phrase for texts not listed."""
    text = str(err.msg or "")
    for pattern, reason in XML_REASONS:
        found = re.search(pattern, text)
        if found:
            return reason.format(**{k: short(v or "", 40) for k, v in found.groupdict().items()})
    return "语法错误"
