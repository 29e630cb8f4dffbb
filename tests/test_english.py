"""The English catalogue: complete, without Chinese left in it, placeholders intact, and the words
that were wrong fixed; the shipped diagrams' step names and the notifications read in English in
English mode, while a step an admin drew keeps the name it was given."""

import re
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from engine.models import HumanTask
from workflows import definitions_admin
from workflows.deadlines import case_of_instance, make_worker
from workflows.extensions import decide_extension, request_extension
from workflows.notifications import urge_task

from .helpers import CASE, MEASURE, start, task_of
from .test_admin import FORMS, RECTIFICATION, client_for
from .test_deadlines import Clock

CATALOGUE = Path(__file__).resolve().parent.parent / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
HAN = re.compile(r"[一-鿿]")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    catalogue = read_po(CATALOGUE.open("rb"))
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in strings:
            assert text, f"{ids[0]!r} has no translation"
            assert not HAN.search(text), f"{ids[0]!r} is translated as {text!r}"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[0])), ids[0]
        assert not message.fuzzy, ids[0]


def test_words_that_were_mistranslated():
    catalogue = read_po(CATALOGUE.open("rb"))
    assert catalogue.get("办理").string == "Handle"  # a button and a heading: an action, not a past event
    assert catalogue.get("提交").string == "Submit"
    assert catalogue.get("办理", context="event").string == "completed"


def english_text(html: str) -> str:
    """What a reader sees of the main content, without markup."""
    main = html[html.index("<main"):] if "<main" in html else html
    return re.sub(r"<[^>]+>", " ", main)


def test_shipped_step_names_read_in_english_and_an_admin_drawn_step_keeps_its_name(platform):
    outcome = start(platform, "inspector", "rectification", CASE)
    unit = client_for(platform, "unit")
    task_id = task_of(outcome, "rectify")
    todo = unit.get("/inbox/?lang=en").get_data(as_text=True)
    assert "Rectify" in todo and ">整改<" not in todo
    page = unit.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Handle：Rectify" in page and "整改</h1>" not in page.replace(" ", "")
    diagram = unit.get(f"/instances/{outcome.instance_id}/diagram.xml?lang=en").get_data(as_text=True)
    assert 'name="Rectify"' in diagram and 'name="Verify"' in diagram and 'name="整改"' not in diagram
    chinese = client_for(platform, "unit").get(f"/instances/{outcome.instance_id}/diagram.xml?lang=zh_CN")
    assert 'name="整改"' in chinese.get_data(as_text=True)

    renamed = RECTIFICATION.replace('<bpmn:userTask id="rectify" name="整改">',
                                    '<bpmn:userTask id="rectify" name="整改落实（试行）">')
    assert renamed != RECTIFICATION
    with platform.db.transaction() as session:
        definitions_admin.deploy_diagram(platform, session, "admin", renamed, FORMS)
    drawn = start(platform, "inspector", "rectification", CASE)
    todo = unit.get("/inbox/").get_data(as_text=True)
    assert f'data-task-id="{task_of(drawn, "rectify")}"' in todo and "整改落实（试行）" in todo


def test_notifications_read_in_the_language_of_the_reader(platform):
    clock = Clock("2026-09-25T12:00:00")
    platform = platform.at(clock)
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 4})  # due Thu 8 Oct
    clock.set("2026-10-02T10:00:00")
    with platform.db.transaction() as session:
        case = case_of_instance(session, out.instance_id)
        request = request_extension(platform, session, "unit", case.id, 2, "需协调第三方系统改造")
        decide_extension(platform, session, "inspector", request.id, False, "期限合理")
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == out.instance_id)).first()
        urge_task(platform, session, "inspector", task.id)
    make_worker(platform, worker_id="test").run_once()  # 临近提醒, a working day before the deadline
    clock.set("2026-10-09T10:00:00")
    make_worker(platform, worker_id="test").run_once()  # 超期督办
    english = {}
    for user in ("unit", "inspector", "unit_head"):
        client = client_for(platform, user)
        page = client.get("/notifications/?lang=en").get_data(as_text=True)
        english[user] = [t.strip() for t in re.findall(r'<div class="note-title">([^<]*)</div>', page)]
        chinese = client.get("/notifications/?lang=zh_CN").get_data(as_text=True)
        assert all(HAN.search(t) for t in re.findall(r'<div class="note-title">([^<]*)</div>', chinese))
    titles = [t for found in english.values() for t in found]
    starts = ("Deadline near:", "Supervision:", "Extension request:", "Extension decision:", "Reminder to act:")
    assert {s for s in starts if any(t.startswith(s) for t in titles)} == set(starts), titles
    for title in titles:
        # Only the case number (督-2026-0001) and, in 催办, the task's subject (people's words) stay as written.
        if not title.startswith("Reminder to act:"):
            assert not HAN.search(re.sub(r"督-\d{4}-\d{4}", "", title)), title
    assert any("(Rectify)" in t for t in english["unit"] if t.startswith("Reminder to act:"))
    assert any("1 working day left" in t or "working days left" in t for t in english["unit"])


def test_every_label_the_domain_keeps_in_chinese_is_in_the_catalogue():
    from web.inbox import PROCESS_LABELS
    from workflows.deadlines import ESCALATION_LABELS
    from workflows.form_diff import FIELD_PARTS
    from workflows.lanes import LANE_LABELS
    from workflows.notifications import KIND_LABELS
    from workflows.organisation import ROLE_LABELS
    from workflows.policy import KIND_LABELS as MEASURE_KINDS
    from workflows.rectification import SOURCE_LABELS, STATUS_LABELS

    translated = {m.id: m.string for m in read_po(CATALOGUE.open("rb")) if m.context is None and m.id}
    for table in (PROCESS_LABELS, ESCALATION_LABELS, LANE_LABELS, KIND_LABELS, ROLE_LABELS, MEASURE_KINDS,
                  SOURCE_LABELS, STATUS_LABELS, FIELD_PARTS, {"rest": "校验规则", "whole": "定义", "required": "必填"}):
        for label in table.values():
            assert translated.get(label), f"{label} has no English label"


def test_who_holds_a_step_reads_in_english(platform):
    outcome = start(platform, "drafter", "policy_measure", MEASURE)  # 组长审批: offered to the group's 组长
    pages = {lang: client_for(platform, "drafter").get(f"/instances/{outcome.instance_id}?lang={lang}")
             .get_data(as_text=True) for lang in ("zh_CN", "en")}
    holders = {lang: re.findall(r'<span class="text-muted me-auto">([^<]*)</span>', page)
               for lang, page in pages.items()}
    assert any("组长" in h for h in holders["zh_CN"]), holders
    assert any("Group leader" in h for h in holders["en"]) and not any("组长" in h for h in holders["en"]), holders


def test_a_title_that_names_only_the_step_is_translated_whole(sqlite_platform):
    from web import create_app
    from web.notification_text import title_text

    app = create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "t", "TESTING": True})
    with app.test_request_context("/?lang=en"):
        assert title_text("催办：整改（整改）", "rectification") == "Reminder to act: Rectify (Rectify)"
        assert title_text("催办：整改（整改）", "hotline") == "Reminder to act: 整改 (整改)"  # an admin's process
        assert title_text("会议通知：周五下午", "rectification") == "会议通知：周五下午"  # free text stays
    with app.test_request_context("/?lang=zh_CN"):
        assert title_text("催办：整改（整改）", "rectification") == "催办：整改（整改）"


def test_the_data_the_product_adds_is_labelled_in_english(platform):
    outcome = start(platform, "inspector", "rectification", CASE)
    page = client_for(platform, "inspector").get(f"/instances/{outcome.instance_id}?lang=en").get_data(as_text=True)
    terms = re.findall(r'<dt class="col-sm-4 text-muted">([^<]*)</dt>', page)
    assert {"Case no.", "Inspector"} <= set(terms) and "案件编号" not in terms, terms
