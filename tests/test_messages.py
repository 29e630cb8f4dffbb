"""Every error SpiffWorkflow (and lxml under it) can raise reaches people in Chinese, naming the element.

The texts are collected from the installed SpiffWorkflow's own source, so a new release that adds
a message fails here until it is translated or falls back to a Chinese sentence.
"""

import ast
from pathlib import Path

import pytest
import SpiffWorkflow
from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowDataException, WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.exceptions import WorkflowException

from engine.errors import ScriptRefused
from engine.messages import describe
from engine.parsing import parse_definition
from engine.state import new_workflow

from .test_miwg import CJK, ENGLISH, PYTHON

SPIFF = Path(SpiffWorkflow.__file__).resolve().parent
RAISERS = {"ValidationException", "raise_validation_exception", "WorkflowTaskException", "WorkflowException",
           "WorkflowDataException", "raise_data_exception"}
# Modules of the BPMN runtime we use; camunda, dmn and spiff are other dialects we never load.
SKIPPED = ("camunda/", "dmn/", "spiff/")
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="review_flow" name="审核流程" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:scriptTask id="check" name="核对材料"><bpmn:script>total = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def _text(node) -> str | None:
    """The message an exception call is given, with every computed part written as X."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
    if isinstance(node, ast.BinOp):
        left, right = _text(node.left), _text(node.right)
        if isinstance(node.op, ast.Mod):
            return (left or "X").replace("%s", "X").replace("%r", "X")
        return (left or "X") + (right or "X")
    return None


def spiff_messages() -> list[tuple[str, str, str]]:
    """(raiser, module, text) for every message SpiffWorkflow's BPMN code raises."""
    found = []
    for path in sorted(SPIFF.rglob("*.py")):
        module = path.relative_to(SPIFF).as_posix()
        if module.startswith(SKIPPED):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            text = _text(node.args[0]) if name in RAISERS else None
            if text and text.strip("X"):
                found.append((name, module, text))
    return found


MESSAGES = spiff_messages()


def test_the_collection_finds_the_texts_users_met():
    texts = [t for _, _, t in MESSAGES]
    assert len(texts) > 60
    assert "Non-default exclusive outgoing sequence flow without condition" in texts
    assert "Cannot resolve dataInputAssociation X" in texts


@pytest.fixture(scope="module")
def sample():
    """A parsed diagram and a workflow on it: the element and task SpiffWorkflow's errors point at."""
    parsed = parse_definition(DIAGRAM)
    workflow = new_workflow(parsed.spec, parsed.subprocess_specs, PythonScriptEngine())
    task = next(t for t in workflow.tasks.values() if t.task_spec.name == "check")
    node = etree.fromstring(DIAGRAM.encode()).find(".//{*}scriptTask")
    return node, task, etree.fromstring(DIAGRAM.encode())


def exception_for(raiser: str, text: str, sample):
    node, task, _root = sample
    if raiser in ("ValidationException", "raise_validation_exception"):
        return ValidationException(text, node=node, file_name="review_flow.bpmn")
    if raiser in ("WorkflowDataException", "raise_data_exception"):
        return WorkflowDataException(text, task)
    if raiser == "WorkflowTaskException":
        return WorkflowTaskException(text, task=task)
    return WorkflowException(text, task_spec=task.task_spec)


def assert_chinese(message: str, placeholder: str = "X") -> None:
    assert CJK.search(message), message
    rest = message.replace("check", " ").replace("核对材料", " ").replace(placeholder, " ")
    assert not ENGLISH.search(rest), message
    assert not PYTHON.search(rest), message
    assert "\n" not in message


@pytest.mark.parametrize("raiser,module,text", MESSAGES, ids=[f"{m}:{t[:40]}" for _, m, t in MESSAGES])
def test_every_spiffworkflow_message_is_told_in_chinese_naming_the_element(sample, raiser, module, text):
    problem = describe(exception_for(raiser, text, sample), sample[2])
    assert problem.element_id == "check"
    # A few texts concern no task (a message, a correlation, a process): they name what they concern.
    assert "脚本任务 check（核对材料）" in problem.message or problem.message.startswith(
        ("流程当前不在等待", "文件中有", "关联属性", "消息开始事件", "文件中没有")), problem
    assert_chinese(problem.message)


def test_the_parser_wrapping_another_exception_is_told_without_its_repr(sample):
    node = sample[0]
    for inner, words in [
        (TypeError("NodeParser.raise_validation_exception() got an unexpected keyword argument 'node'"),
         "引用的消息、信号、错误或升级定义在文件中不存在"),
        (ValueError("invalid literal for int() with base 10: 'many'"), "“many” 不是整数"),
        (RecursionError("maximum recursion depth exceeded"), "过于复杂"),
        (KeyError("sourceRef"), "无法被流程引擎读取"),
    ]:
        problem = describe(ValidationException(f"{inner!r}", node=node), sample[2])
        assert problem.element_id == "check" and words in problem.message, problem
        assert_chinese(problem.message)


def test_a_python_object_in_the_text_never_shows(sample):
    node = sample[0]
    text = ("Cannot resolve dataInputAssociation "
            "<Element {http://www.omg.org/spec/BPMN/20100524/MODEL}sourceRef at 0x7f1b18>")
    problem = describe(ValidationException(text, node, "f.bpmn"), sample[2])
    assert "0x7f" not in problem.message and "<Element" not in problem.message
    assert_chinese(problem.message)


@pytest.mark.parametrize("raw,words", [
    (b"", "文件是空的"), (b"<a><b></a>", "起始标签 b 与结束标签 a 不匹配"), (b"<a x='1' x='2'/>", "属性 x 重复出现"),
    (b"<a>&nbsp;</a>", "实体 nbsp 没有定义"), (b"<a>\x01</a>", "含有 XML 不允许的字符"), (b"<a><!-- x", "注释没有结束"),
])
def test_xml_that_cannot_be_read_is_told_by_line_and_column(raw, words):
    with pytest.raises(etree.XMLSyntaxError) as caught:
        etree.fromstring(raw)
    problem = describe(caught.value)
    assert problem.element_id is None and "不是有效的 XML：第 1 行第" in problem.message and words in problem.message
    assert_chinese(problem.message)


@pytest.mark.parametrize("expression,words", [
    ("missing_name > 1", "变量 missing_name 未定义"), ("1 / 0", "除数为零"), ("{}['k']", "数据中没有 k"),
    ("'a' + 1", "数据类型不匹配"),
])
def test_a_failing_expression_at_run_time_names_the_element_and_the_cause(sample, expression, words):
    task = sample[1]
    with pytest.raises(WorkflowTaskException) as caught:
        PythonScriptEngine().evaluate(task, expression)
    problem = describe(caught.value, sample[2])
    assert problem.element_id == "check"
    assert problem.message.startswith("脚本任务 check（核对材料）的表达式") and words in problem.message, problem
    assert_chinese(problem.message, placeholder=expression)


def test_a_failing_script_names_its_line(sample):
    task = sample[1]
    with pytest.raises(WorkflowTaskException) as caught:
        PythonScriptEngine().execute(task, "a = 1\nb = undefined_thing")
    problem = describe(caught.value, sample[2])
    assert problem.message == "脚本任务 check（核对材料）的脚本第 2 行出错：变量 undefined_thing 未定义"


def test_anything_else_gets_a_chinese_sentence(sample):
    for err in (KeyError("x"), AttributeError("'NoneType' object has no attribute 'get'"),
                ScriptRefused("不允许使用名称 open")):
        problem = describe(err, sample[2])
        assert_chinese(problem.message)
