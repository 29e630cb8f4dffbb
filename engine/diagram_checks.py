"""What a diagram must satisfy before SpiffWorkflow reads it, each problem naming its element.

SpiffWorkflow's parser trusts its input: an element without an id, a sequence flow to nowhere, a
reference to a message that is not there or an id with a quote in it reaches code that fails with
a KeyError, an XPath error or a message naming a Python object. These checks look at the XML
first and say in Chinese which element is wrong and how. They also hold what the database holds:
ids and names no longer than their columns.
"""

import re
from collections import Counter

from .errors import InvalidDefinition, Problem
from .labels import BPMN_NS, label_of, local_name, sentence, short

DI_NS = "http://www.omg.org/spec/DD/20100524/DC"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
# Elements SpiffWorkflow has no runtime for; a diagram that uses them cannot be deployed.
UNSUPPORTED = {"complexGateway", "choreographyTask", "subChoreography", "callChoreography",
               "globalTask", "globalUserTask", "globalScriptTask", "globalManualTask",
               "globalBusinessRuleTask", "dataStore"}
ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "subProcess", "transaction", "adHocSubProcess", "callActivity"}
FLOW_NODES = ACTIVITIES | {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
                           "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
                           "eventBasedGateway", "complexGateway"}
CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
# Elements others point at by id: each needs one, and SpiffWorkflow looks several up by it.
NEEDS_ID = FLOW_NODES | CONTAINERS | {"sequenceFlow", "message", "signal", "error", "escalation",
                                      "dataObject", "dataObjectReference", "dataStoreReference"}
REFERENCES = {"messageRef": "message", "signalRef": "signal", "errorRef": "error", "escalationRef": "escalation"}
REF_WORDS = {"message": "消息", "signal": "信号", "error": "错误", "escalation": "升级"}
# An XML name without a colon (xsd:ID), as BPMN requires: SpiffWorkflow puts ids into XPath queries.
NCNAME = re.compile(r"^[^\W\d][\w.\-]*$")
# What the tables hold (engine.models): element ids, process keys, and the names shown in lists.
MAX_ID, MAX_NAME, MAX_LANE = 100, 200, 100


def _bpmn(el, *locals_: str) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN_NS}}}") and (
        not locals_ or local_name(el.tag) in locals_)


def _say(el, rest: str) -> str:
    return sentence(label_of(el), rest)


def _elements(root):
    return (el for el in root.iter() if _bpmn(el))


def unsupported(root) -> list[Problem]:
    """Elements the engine cannot run, wherever they are in the file."""
    return [Problem(el.get("id"), _say(el, f"：流程引擎不支持此类元素（bpmn:{local_name(el.tag)}）"))
            for el in _elements(root) if local_name(el.tag) in UNSUPPORTED]


def identities(root) -> list[Problem]:
    """Every element that is pointed at has an id, a valid one, short enough and used once."""
    problems, seen = [], Counter()
    for el in _elements(root):
        element_id = el.get("id")
        if element_id is None or not element_id.strip():
            if local_name(el.tag) in NEEDS_ID:
                problems.append(Problem(None, _say(el, "缺少 id")))
            continue
        seen[element_id] += 1
        if not NCNAME.match(element_id):
            problems.append(Problem(element_id, _say(el, "的 id 无效：须以字母或下划线开头，"
                                                         "只含字母、数字、下划线、连字符和点")))
        elif len(element_id) > MAX_ID:
            problems.append(Problem(element_id, _say(el, f"的 id 过长（{len(element_id)} 个字符，上限 {MAX_ID}）")))
    for element_id, count in seen.items():
        if count > 1 and NCNAME.match(element_id):
            problems.append(Problem(element_id, f"id {short(element_id)} 被 {count} 个元素使用；每个元素的 id 须唯一"))
    return problems


def choose_process(root, wanted: str | None) -> str:
    """The id of the process to deploy. Raises InvalidDefinition unless there is exactly one."""
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if not processes:
        raise InvalidDefinition([Problem(None, "文件中没有流程（bpmn:process）")])
    if wanted:
        return wanted
    executable = [p for p in processes if (p.get("isExecutable") or "true").strip().lower() == "true"]
    called = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    candidates = [p for p in (executable or processes) if p.get("id") not in called]
    if len(candidates) != 1:
        ids = "、".join(label_of(p) for p in candidates) or "无"
        raise InvalidDefinition([Problem(None, f"文件须恰好包含一个可执行的顶层流程，现有：{ids}")])
    return candidates[0].get("id")


def deployed_processes(root, key: str) -> list:
    """The process `key` and every process it calls, directly or not, that is in the file."""
    by_id = {p.get("id"): p for p in root.findall(f"{{{BPMN_NS}}}process")}
    found, todo = [], [key]
    while todo:
        process = by_id.get(todo.pop())
        if process is None or any(process is f for f in found):
            continue
        found.append(process)
        todo.extend(c.get("calledElement") for c in process.iter(f"{{{BPMN_NS}}}callActivity"))
    return found


def references(root, processes) -> list[Problem]:
    """Inside the processes deployed: flows, attachments, defaults and references all resolve."""
    by_id = {el.get("id"): el for el in _elements(root) if el.get("id")}
    problems = []
    for process in processes:
        for el in process.iter():
            if not _bpmn(el):
                continue
            local = local_name(el.tag)
            if local == "sequenceFlow":
                problems.extend(_flow_ends(el, by_id))
            elif local == "boundaryEvent":
                problems.extend(_attachment(el, by_id))
            elif local == "callActivity":
                called = el.get("calledElement")
                if called and not _bpmn(by_id.get(called, el), "process"):
                    problems.append(Problem(el.get("id"), _say(el, f"调用的流程 {short(called)} 不在本文件中")))
            if el.get("default") is not None:
                problems.extend(_default(el, by_id))
            for attr, wanted in REFERENCES.items():
                ref = el.get(attr)
                if ref is not None:
                    problems.extend(_reference(el, ref, wanted, by_id))
    return problems


def _reference(el, ref: str, wanted: str, by_id) -> list[Problem]:
    owner = _owner(el)
    target = by_id.get(ref)
    word = REF_WORDS[wanted]
    if target is None or not _bpmn(target, wanted):
        return [Problem(owner.get("id"), _say(owner, f"引用的{word} {short(ref) or '（空）'} 在文件中不存在"))]
    # SpiffWorkflow knows messages and signals by name: one without a name cannot be sent or caught.
    if wanted in ("message", "signal") and not (target.get("name") or "").strip():
        return [Problem(owner.get("id"), _say(owner, f"引用的{word} {short(ref)} 没有名称（name）"))]
    return []


def _owner(el):
    """The flow node an event definition belongs to (the element itself for tasks)."""
    while el is not None and not _bpmn(el, *FLOW_NODES):
        el = el.getparent()
    return el


def _flow_ends(flow, by_id) -> list[Problem]:
    problems = []
    for attr, end in (("sourceRef", "起点"), ("targetRef", "终点")):
        ref = flow.get(attr)
        node = by_id.get(ref)
        if not ref:
            problems.append(Problem(flow.get("id"), _say(flow, f"缺少{end}（{attr}）")))
        elif node is None:
            problems.append(Problem(flow.get("id"), _say(flow, f"的{end} {short(ref)} 在文件中不存在")))
        elif not _bpmn(node, *FLOW_NODES):
            what = sentence(label_of(node), "不是流程中的活动、事件或网关")
            problems.append(Problem(flow.get("id"), _say(flow, f"的{end} {what}")))
        elif node.getparent() is not flow.getparent():
            elsewhere = sentence(label_of(node), "不在同一流程或子流程中")
            problems.append(Problem(flow.get("id"), _say(flow, f"的{end} {elsewhere}")))
    return problems


def _attachment(event, by_id) -> list[Problem]:
    ref = event.get("attachedToRef")
    host = by_id.get(ref) if ref else None
    if host is None or not _bpmn(host, *ACTIVITIES):
        what = f"附着的活动 {short(ref)} 不存在" if ref else "没有附着在任何活动上（attachedToRef）"
        return [Problem(event.get("id"), _say(event, what))]
    if host.getparent() is not event.getparent():
        return [Problem(event.get("id"), _say(event, "附着的" + sentence(label_of(host), "不在同一流程或子流程中")))]
    return []


def _default(el, by_id) -> list[Problem]:
    flow = by_id.get(el.get("default"))
    if flow is None or not _bpmn(flow, "sequenceFlow") or flow.get("sourceRef") != el.get("id"):
        return [Problem(el.get("id"), _say(el, f"的默认流 {short(el.get('default')) or '（空）'} "
                                               "不是它的流出顺序流"))]
    return []


def sizes(root, processes) -> list[Problem]:
    """Names the tables hold: the process name, user task names (the inbox) and lane names."""
    problems = []
    for process in processes[:1]:
        name = process.get("name") or ""
        if len(name) > MAX_NAME:
            problems.append(Problem(process.get("id"),
                                    _say(process, f"的名称过长（{len(name)} 个字符，上限 {MAX_NAME}）")))
    for process in processes:
        for el in process.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}lane"):
            name = el.get("name") or ""
            limit = MAX_LANE if local_name(el.tag) == "lane" else MAX_NAME
            if len(name) > limit:
                problems.append(Problem(el.get("id"), _say(el, f"的名称过长（{len(name)} 个字符，上限 {limit}）")))
    return problems


def shapes(root) -> list[Problem]:
    """Every shape's position is a number (SpiffWorkflow reads them to order parallel branches)."""
    problems = []
    for shape in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        for bounds in shape.iter(f"{{{DI_NS}}}Bounds"):
            for axis in ("x", "y"):
                value = bounds.get(axis)
                try:
                    float(value if value is not None else 0)
                except ValueError:
                    element = shape.get("bpmnElement") or shape.get("id")
                    problems.append(Problem(shape.get("bpmnElement"),
                                            f"元素 {short(element or '（无 id）')} 的图形位置 "
                                            f"{axis}=“{short(value)}” 不是数字"))
    return problems


def structure(root, key: str) -> list[Problem]:
    """What a runnable diagram needs beyond what the parser checks: a start, and named user tasks."""
    process = next((p for p in root.findall(f"{{{BPMN_NS}}}process") if p.get("id") == key), None)
    if process is None:
        return [Problem(None, f"文件中没有 id 为 {short(key)} 的流程")]
    problems = []
    if process.find(f"{{{BPMN_NS}}}startEvent") is None:
        problems.append(Problem(key, _say(process, "缺少开始事件")))
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        if not (task.get("name") or "").strip():
            problems.append(Problem(task.get("id"), _say(task, "须有名称（待办列表中显示）")))
    return problems
