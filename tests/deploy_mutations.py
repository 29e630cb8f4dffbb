"""Diagrams an admin might bring: the MIWG reference models, the shipped flows, and systematic
mutations of them (attributes dropped, references left dangling, ids repeated, unknown elements,
huge and odd names, bad conditions, deep nesting, empty and crowded files).

Each case is (name, file bytes, process key, forms by element id): the shipped flows come with
their forms, everything else with none. The set is fixed: the same cases in the same order on
every run.
"""

from copy import deepcopy
from pathlib import Path

from lxml import etree

from workflows.forms import load_shipped_forms

HERE = Path(__file__).resolve().parent
MIWG = HERE / "fixtures" / "miwg-reference"
SHIPPED = HERE.parent / "bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
B = f"{{{BPMN_NS}}}"
ODD = "名\u200b\u202e\ufeff'\"<>&\t\n😀"
HUGE = "很长的名称" * 2000
BAD_CONDITIONS = ["${approved}", "x ==", "__import__('os').system('id')", "", "not python at all, is it?",
                  "a" * 30_000, "1/0 if True else (", "lambda: open('/etc/passwd')", "x\u0085y",
                  "().__class__.__base__"]


def _parse(raw: bytes):
    return etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False))


def _dump(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _with(root, index: int, change) -> bytes:
    """The file with `change` applied to its `index`-th element (in document order)."""
    copy = deepcopy(root)
    change([el for el in copy.iter() if isinstance(el.tag, str)][index])
    return _dump(copy)


def _elements(root, test) -> list[int]:
    return [i for i, el in enumerate(e for e in root.iter() if isinstance(e.tag, str)) if test(el)]


def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _pop(attr):
    return lambda el: el.attrib.pop(attr, None)


def _set(attr, value):
    return lambda el: el.set(attr, value)


def _set_text(value):
    def change(el):
        el.text = value
    return change


def _retag(local):
    def change(el):
        el.tag = B + local
    return change


def _add_child(xml: str):
    def change(el):
        el.append(etree.fromstring(xml))
    return change


def mutations(raw: bytes) -> list[tuple[str, bytes]]:
    """Every mutation of one file, each applied to one element chosen by its kind."""
    root = _parse(raw)
    els = [el for el in root.iter() if isinstance(el.tag, str)]
    ids = [el.get("id") for el in els if el.get("id") and el.tag.startswith(B)]
    out = []

    def each(name, test, change, limit=1):
        for index in _elements(root, test)[:limit]:
            out.append((f"{name} @{els[index].get('id') or index}", _with(root, index, change)))

    for attr in ("id", "sourceRef", "targetRef", "attachedToRef", "default", "calledElement", "messageRef",
                 "signalRef", "errorRef", "name", "isExecutable", "bpmnElement", "x"):
        each(f"drop {attr}", lambda el, a=attr: el.get(a) is not None, _pop(attr))
    for attr in ("sourceRef", "targetRef", "attachedToRef", "default", "calledElement", "messageRef", "errorRef"):
        each(f"dangling {attr}", lambda el, a=attr: el.get(a) is not None, _set(attr, "no_such_element"))
    each("quote in a reference", lambda el: el.get("targetRef") is not None, _set("targetRef", "it's"))
    each("dangling data reference", lambda el: _local(el) == "sourceRef", _set_text("no_such_data"))
    if len(ids) > 2:
        each("duplicate id", lambda el: el.get("id") == ids[-1], _set("id", ids[1]))
        each("id with a quote", lambda el: el.get("id") == ids[2], _set("id", "a'b\"c"))
        each("id far too long", lambda el: el.get("id") == ids[2], _set("id", "x" * 150))
    each("unknown element", lambda el: _local(el) == "process",
         _add_child(f'<bpmn:fancyTask xmlns:bpmn="{BPMN_NS}" id="fancy_1" name="神秘任务" />'))
    each("flow to an unknown element", lambda el: _local(el) == "process", _add_child(
        f'<bpmn:sequenceFlow xmlns:bpmn="{BPMN_NS}" id="to_fancy" sourceRef="{ids[0] if ids else "a"}" '
        'targetRef="fancy_2" />'))
    each("huge name", lambda el: _local(el) in ("process", "userTask", "lane"), _set("name", HUGE), limit=3)
    each("odd name", lambda el: _local(el) in ("task", "userTask", "sequenceFlow", "exclusiveGateway"),
         _set("name", ODD), limit=2)
    for i, condition in enumerate(BAD_CONDITIONS):
        each(f"condition {i}", lambda el: _local(el) == "conditionExpression", _set_text(condition))
    each("condition on a plain flow", lambda el: _local(el) == "sequenceFlow", _add_child(
        f'<bpmn:conditionExpression xmlns:bpmn="{BPMN_NS}">while True: pass</bpmn:conditionExpression>'))
    each("service task", lambda el: _local(el) in ("userTask", "task", "manualTask"), _retag("serviceTask"))
    each("business rule task", lambda el: _local(el) in ("userTask", "task"), _retag("businessRuleTask"))
    each("gateway turned exclusive", lambda el: _local(el) == "parallelGateway", _retag("exclusiveGateway"))
    each("empty timer", lambda el: _local(el) in ("timeDate", "timeDuration", "timeCycle"), _set_text(""))
    each("timer not a string", lambda el: _local(el) in ("timeDate", "timeDuration", "timeCycle"), _set_text("5"))
    each("loop without limit", lambda el: _local(el) in ("userTask", "task", "scriptTask"), _add_child(
        f'<bpmn:standardLoopCharacteristics xmlns:bpmn="{BPMN_NS}" loopMaximum="many" />'))
    each("multi-instance without cardinality", lambda el: _local(el) in ("userTask", "task"), _add_child(
        f'<bpmn:multiInstanceLoopCharacteristics xmlns:bpmn="{BPMN_NS}" />'))
    each("cancel outside a transaction", lambda el: _local(el) == "boundaryEvent", _add_child(
        f'<bpmn:cancelEventDefinition xmlns:bpmn="{BPMN_NS}" />'))
    each("message to nowhere", lambda el: _local(el) in ("startEvent", "intermediateCatchEvent"), _add_child(
        f'<bpmn:messageEventDefinition xmlns:bpmn="{BPMN_NS}" messageRef="no_message" />'))
    each("shape at no number", lambda el: _local(el) == "Bounds", _set("x", "left"))
    each("empty script", lambda el: _local(el) == "script", _set_text(""))
    return out


def executable(raw: bytes) -> bytes:
    """The file with its first process marked executable and the others not, as a runnable draft would be."""
    root = _parse(raw)
    for i, process in enumerate(root.iter(f"{B}process")):
        process.set("isExecutable", "true" if i == 0 else "false")
    return _dump(root)


def _process(body: str, key: str = "synthetic") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="defs" '
            f'targetNamespace="x"><bpmn:process id="{key}" name="合成流程" isExecutable="true">{body}'
            "</bpmn:process></bpmn:definitions>").encode()


def nested(depth: int) -> bytes:
    inner = ('<bpmn:startEvent id="s{0}"/><bpmn:endEvent id="e{0}"/>'
             '<bpmn:sequenceFlow id="f{0}" sourceRef="s{0}" targetRef="e{0}"/>')
    body = inner.format(depth)
    for level in range(depth - 1, -1, -1):
        body = (f'<bpmn:startEvent id="s{level}"/><bpmn:subProcess id="sub{level}" name="第{level}层">{body}'
                f'</bpmn:subProcess><bpmn:endEvent id="e{level}"/>'
                f'<bpmn:sequenceFlow id="a{level}" sourceRef="s{level}" targetRef="sub{level}"/>'
                f'<bpmn:sequenceFlow id="b{level}" sourceRef="sub{level}" targetRef="e{level}"/>')
    return _process(body)


def chain(length: int) -> bytes:
    tasks = "".join(f'<bpmn:task id="t{i}" name="环节{i}"/><bpmn:sequenceFlow id="f{i}" sourceRef="t{i}" '
                    f'targetRef="t{i + 1}"/>' for i in range(length))
    return _process(f'<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f_start" sourceRef="start" '
                    f'targetRef="t0"/>{tasks}<bpmn:endEvent id="t{length}"/>')


SYNTHETIC = [
    ("empty process", _process("")),
    ("start event only", _process('<bpmn:startEvent id="start"/>')),
    ("service task", _process('<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" '
                              'targetRef="call"/><bpmn:serviceTask id="call" name="调用接口"/>')),
    ("two executable processes", _process('<bpmn:startEvent id="s1"/>').replace(
        b"</bpmn:definitions>", b'<bpmn:process id="other" isExecutable="true"><bpmn:startEvent id="s2"/>'
        b"</bpmn:process></bpmn:definitions>")),
    ("no process", f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="defs"><bpmn:message id="m"/>'
                   "</bpmn:definitions>".encode()),
    ("nested 10 deep", nested(10)),
    ("nested 60 deep", nested(60)),
    ("nested 300 deep", nested(300)),
    ("chain of 1500 tasks", chain(1500)),
    ("NUL in a name", _process('<bpmn:startEvent id="start" name="a&#0;b"/>')),
    ("control character in a condition", _process('<bpmn:startEvent id="start"/>').replace(
        b"</bpmn:process>", b'<bpmn:sequenceFlow id="f"><bpmn:conditionExpression>x\x01</bpmn:conditionExpression>'
        b"</bpmn:sequenceFlow></bpmn:process>")),
    ("latin-1 declared", _process('<bpmn:startEvent id="start" name="caf\xe9"/>').replace(
        b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace("caf\xe9".encode(), b"caf\xe9")),
    ("unknown encoding", _process('<bpmn:startEvent id="start"/>').replace(b'encoding="UTF-8"', b'encoding="klingon"')),
    ("binary garbage", bytes(range(256)) * 16),
    ("empty file", b""),
    ("not bpmn", b"<?xml version='1.0'?><html><body>hi</body></html>"),
]


def miwg_models() -> list[Path]:
    return sorted(MIWG.glob("*.bpmn"))


def shipped() -> list[tuple[str, bytes, dict]]:
    return [(key, (SHIPPED / f"{key}.bpmn").read_bytes(), load_shipped_forms(key))
            for key in ("rectification", "policy_measure")]


def cases(per_variant: int = 8) -> list[tuple[str, bytes, str | None, dict]]:
    """The fixed set: originals, runnable variants with a rotating share of mutations, the shipped
    flows with every mutation, and the synthetic files."""
    found = [(f"{p.stem} as drawn", p.read_bytes(), None, {}) for p in miwg_models()]
    offset = 0
    for path in miwg_models():
        variant = executable(path.read_bytes())
        found.append((f"{path.stem} executable", variant, None, {}))
        changed = mutations(variant)
        for k in range(per_variant):
            if changed:
                name, body = changed[(offset + k) % len(changed)]
                found.append((f"{path.stem} executable, {name}", body, None, {}))
        offset += per_variant
    for key, raw, forms in shipped():
        found.append((f"{key} as shipped", raw, key, forms))
        found.extend((f"{key}, {name}", body, key, forms) for name, body in mutations(raw))
    found.extend((name, body, None, {}) for name, body in SYNTHETIC)
    return found


def sized() -> list[tuple[str, bytes, str, dict, bool]]:
    """The shipped rectification flow with names and ids at and past what the tables hold:
    (name, file, key, forms, whether it deploys)."""
    key, raw, forms = shipped()[0]
    text = raw.decode("utf-8")
    process = '<bpmn:process id="rectification" name="问题整改"'
    task = '<bpmn:userTask id="verify" name="核查"'

    def end_event_id(length: int) -> str:
        new = "c" * length
        return text.replace('"closed"', f'"{new}"').replace(">closed<", f">{new}<")

    variants = [
        ("process name of 200", text.replace(process, process.replace("问题整改", "名" * 200)), True),
        ("process name of 201", text.replace(process, process.replace("问题整改", "名" * 201)), False),
        ("user task name of 200", text.replace(task, task.replace("核查", "核" * 200)), True),
        ("user task name of 201", text.replace(task, task.replace("核查", "核" * 201)), False),
        ("end event id of 100", end_event_id(100), True),
        ("end event id of 101", end_event_id(101), False),
    ]
    return [(name, body.encode("utf-8"), key, forms, deploys) for name, body, deploys in variants]
