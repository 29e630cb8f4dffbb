"""How a message names a BPMN element: its kind in Chinese, its id and its name.

"用户任务 verify（核查）", "顺序流 Flow_1", "排他网关（是否通过）": whoever reads a refusal finds the
element in the modeler by either. Names are folded to one line and shortened with an ellipsis,
so a huge or multi-line name never swamps the message.
"""

import re

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_LABEL = 40

KINDS = {
    "process": "流程", "subProcess": "子流程", "transaction": "事务子流程", "adHocSubProcess": "自由子流程",
    "callActivity": "调用活动", "task": "任务", "userTask": "用户任务", "manualTask": "人工任务",
    "scriptTask": "脚本任务", "serviceTask": "服务任务", "sendTask": "发送任务", "receiveTask": "接收任务",
    "businessRuleTask": "业务规则任务", "startEvent": "开始事件", "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件",
    "boundaryEvent": "边界事件", "exclusiveGateway": "排他网关", "inclusiveGateway": "包容网关",
    "parallelGateway": "并行网关", "eventBasedGateway": "事件网关", "complexGateway": "复杂网关",
    "sequenceFlow": "顺序流", "messageFlow": "消息流", "association": "关联", "lane": "泳道",
    "laneSet": "泳道集", "participant": "参与者", "collaboration": "协作", "dataObject": "数据对象",
    "dataObjectReference": "数据对象引用", "dataStore": "数据存储", "dataStoreReference": "数据存储引用",
    "dataInput": "数据输入", "dataOutput": "数据输出", "ioSpecification": "输入输出定义",
    "dataInputAssociation": "数据输入关联", "dataOutputAssociation": "数据输出关联",
    "message": "消息", "signal": "信号", "error": "错误", "escalation": "升级",
    "correlationProperty": "关联属性", "textAnnotation": "注释", "group": "分组", "category": "类别",
    "timerEventDefinition": "定时器定义", "messageEventDefinition": "消息事件定义",
    "signalEventDefinition": "信号事件定义", "errorEventDefinition": "错误事件定义",
    "escalationEventDefinition": "升级事件定义", "conditionalEventDefinition": "条件事件定义",
    "conditionExpression": "条件表达式", "choreographyTask": "编排任务", "subChoreography": "子编排",
    "callChoreography": "调用编排", "globalTask": "全局任务", "globalUserTask": "全局用户任务",
    "globalScriptTask": "全局脚本任务", "globalManualTask": "全局人工任务",
    "globalBusinessRuleTask": "全局业务规则任务", "interface": "接口", "operation": "操作",
    "itemDefinition": "数据类型定义", "definitions": "文件",
}

# SpiffWorkflow's spec classes by the BPMN element they come from (loop variants included).
SPEC_KINDS = {
    "UserTask": "userTask", "ManualTask": "manualTask", "NoneTask": "task", "ScriptTask": "scriptTask",
    "ServiceTask": "serviceTask", "SendTask": "sendTask", "ReceiveTask": "receiveTask",
    "ExclusiveGateway": "exclusiveGateway", "InclusiveGateway": "inclusiveGateway",
    "ParallelGateway": "parallelGateway", "EventBasedGateway": "eventBasedGateway",
    "StartEvent": "startEvent", "EndEvent": "endEvent", "IntermediateCatchEvent": "intermediateCatchEvent",
    "IntermediateThrowEvent": "intermediateThrowEvent", "BoundaryEvent": "boundaryEvent",
    "CallActivity": "callActivity", "TransactionSubprocess": "transaction", "AdHocSubprocess": "adHocSubProcess",
    "SubWorkflowTask": "subProcess", "BpmnProcessSpec": "process",
}
_SPACE = re.compile(r"\s+")


def local_name(tag) -> str:
    """`bpmn:userTask`, `{ns}userTask` or `userTask` → `userTask`."""
    tag = tag if isinstance(tag, str) else ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def kind_of(local: str) -> str:
    """"用户任务" for `userTask`; an element BPMN does not define is called by its tag ("fancyTask 元素")."""
    return KINDS.get(local) or (f"{short(local, 30)} 元素" if local else "元素")


def short(text, limit: int = MAX_LABEL) -> str:
    """Text folded to one line (control characters shown as spaces), cut at `limit` with an ellipsis."""
    text = "".join(c if c.isprintable() else " " for c in str(text))
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(local: str, element_id: str | None, name: str | None) -> str:
    """"用户任务 verify（核查）": kind, then id, then name when there is one."""
    kind = kind_of(local)
    element_id = short(element_id) if element_id else ""
    name = short(name) if name and name.strip() else ""
    head = f"{kind} {element_id}" if element_id else kind
    return f"{head}（{name}）" if name and name != element_id else head


def label_of(el) -> str:
    """The label of an lxml element; one without an id is placed by its line in the file."""
    local = local_name(el.tag)
    element_id, name = el.get("id"), el.get("name")
    if element_id or (name and name.strip()):
        return label(local, element_id, name)
    if local == "sequenceFlow" and el.get("sourceRef") and el.get("targetRef"):
        ends = f"从 {short(el.get('sourceRef'))} 到 {short(el.get('targetRef'))}"
        return f"{kind_of(local)}（{ends}，第 {el.sourceline} 行）"
    return f"{kind_of(local)}（第 {el.sourceline} 行）"


def spec_label(task_spec) -> str:
    """The label of a SpiffWorkflow task spec, from the BPMN element it was parsed from."""
    local = next((SPEC_KINDS[c.__name__] for c in type(task_spec).__mro__ if c.__name__ in SPEC_KINDS), "")
    if local == "process":  # a process spec keeps its id as name and its name as description
        return label(local, task_spec.name, task_spec.description)
    return label(local, getattr(task_spec, "bpmn_id", None), getattr(task_spec, "bpmn_name", None))


def sentence(subject: str, rest: str) -> str:
    """Subject and predicate, with a space after a subject that ends in Latin text ("任务 t1 无法…")."""
    if not rest or rest[0] in "：，（" or subject.endswith(("）", "”")):
        return subject + rest
    return f"{subject} {rest}"
