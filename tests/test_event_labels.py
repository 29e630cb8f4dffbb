"""Every kind of event the code can record has a label in Chinese and in English; the timeline, the
library and the API never show a raw kind such as extension_requested, and an unknown kind reads as
其他操作."""

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from web.event_labels import EVENT_LABELS
from workflows.deadlines import case_of_instance
from workflows.extensions import decide_extension, request_extension
from workflows.notifications import urge_task
from workflows.tokens import issue_token

from .helpers import CASE, start
from .test_admin import client_for

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# Where a call names the kind of the event it records: position of the kind among the arguments.
KIND_ARGUMENT = {"event": 1, "record": 2}


def _constant(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def recorded_kinds() -> set[str]:
    """Every literal event kind in engine/, workflows/ and web/: store.event(…, kind, …),
    engine.record(session, instance, kind, …), Event(kind="…"), any call with kind="…" and any `kind="…"`
    default."""
    found = set()
    for path in [*ROOT.glob("engine/**/*.py"), *ROOT.glob("workflows/**/*.py"), *ROOT.glob("web/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                index = KIND_ARGUMENT.get(name)
                if index is not None and len(node.args) > index and _constant(node.args[index]):
                    found.add(_constant(node.args[index]))
                if name in ("event", "record", "reschedule", "Event"):
                    found.update(_constant(k.value) for k in node.keywords if k.arg == "kind" and _constant(k.value))
            elif isinstance(node, ast.FunctionDef) and node.name in ("event", "record", "reschedule"):
                args = node.args.args[-len(node.args.defaults):] if node.args.defaults else []
                found.update(_constant(d) for a, d in zip(args, node.args.defaults, strict=True)
                             if a.arg == "kind" and _constant(d))
                found.update(_constant(d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                             if a.arg == "kind" and d is not None and _constant(d))
    return found


def english(context: str) -> dict[str, str]:
    catalogue = read_po(CATALOGUE.open("rb"))
    return {m.id: m.string for m in catalogue if m.context == context and m.id}


def test_every_kind_the_code_records_has_a_chinese_and_an_english_label():
    kinds = recorded_kinds()
    # The scan itself must see the kinds recorded by the engine, the domain and the web layer alike.
    assert {"task_completed", "instance_migrated", "urged", "extension_requested", "extension_approved",
            "deadline_changed", "supervised"} <= kinds
    assert kinds - set(EVENT_LABELS) == set()
    translated = english("event")
    for kind, label in EVENT_LABELS.items():
        msgid = label._args[1]  # lazy_pgettext("event", msgid)
        assert translated.get(msgid), f"{kind}: {msgid} has no English label"
        assert not re.search(r"[一-鿿]", translated[msgid])


def extended_and_urged_case(platform) -> int:
    out = start(platform, "inspector", "rectification", CASE)
    with platform.db.transaction() as session:
        case_id = case_of_instance(session, out.instance_id).id
        request = request_extension(platform, session, "unit", case_id, 3, "需协调第三方系统改造")
        urge_task(platform, session, "inspector", out.new_tasks[0].id, "请尽快报送")
        decide_extension(platform, session, "inspector", request.id, True, "同意")
        platform.engine.record(session, out.instance_id, "some_future_kind", "office")
    return out.instance_id


RAW = re.compile(r"\b(extension_requested|extension_approved|urged|some_future_kind|task_completed|"
                 r"instance_started|deadline_changed)\b")


def timeline(html: str) -> str:
    return html[html.index('id="history"'):][:20000]


def test_the_timeline_and_the_api_show_labels_never_raw_kinds(platform):
    instance_id = extended_and_urged_case(platform)
    client = client_for(platform, "inspector")
    chinese = timeline(client.get(f"/instances/{instance_id}").get_data(as_text=True))
    labels = re.findall(r'<span class="text-muted">([^<]+)</span>', chinese)
    assert {"发起", "申请延期", "催办", "同意延期", "其他操作"} <= set(labels)
    assert not RAW.search(re.sub(r'data-kind="[a-z_]+"', "", chinese))
    english_page = timeline(client.get(f"/instances/{instance_id}?lang=en").get_data(as_text=True))
    labels = re.findall(r'<span class="text-muted">([^<]+)</span>', english_page)
    assert {"started", "requested an extension", "urged", "approved an extension", "other action"} <= set(labels)
    # "urged" is the English label itself; the raw kinds with an underscore must not show.
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", re.sub(r'(data-kind|class|id)="[^"]*"', "", english_page))

    with platform.db.transaction() as session:
        token = issue_token(session, "inspector", platform.clock())
    api = client_for(platform).get(f"/api/instances/{instance_id}", headers={"Authorization": f"Bearer {token}"})
    events = api.json["events"]
    by_kind = {e["kind"]: e["label"] for e in events}
    assert by_kind["extension_requested"] == "申请延期" and by_kind["some_future_kind"] == "其他操作"
