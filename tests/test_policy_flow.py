"""政策举措报批备案, end to end on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from engine import queries
from workflows.errors import PermissionDenied
from workflows.models import PolicyMeasure
from workflows.policy import search_library

from .helpers import MEASURE, complete, start, task_of


def library(platform):
    with platform.db.reading() as session:
        return list(session.scalars(select(PolicyMeasure)))


def test_approve_and_file_enters_library(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    assert [t.element_id for t in out.new_tasks] == ["leader_approve"]
    assert out.new_tasks[0].candidate_group == "start_business"
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve", "opinion": "同意"})
    assert [t.element_id for t in out.new_tasks] == ["office_file"]
    out = complete(platform, "office", task_of(out, "office_file"),
                   {"doc_number": "营商办〔2026〕3号", "filed_on": "2026-11-20"})
    assert (out.status, out.end_event) == ("completed", "filed")
    [measure] = library(platform)
    assert (measure.title, measure.doc_number, measure.lead_unit) == (MEASURE["title"], "营商办〔2026〕3号", "amr")
    with platform.db.reading() as session:
        assert [m.id for m in search_library(session, text="一日办结")] == [measure.id]
        assert search_library(session, doc_number="〔2026〕3") and not search_library(session, group="taxation")
        kinds = [e.kind for e in queries.instance_events(session, out.instance_id)]
    assert kinds.count("task_completed") == 2 and kinds[-1] == "instance_completed"


def test_return_for_revision_shows_opinion_then_approve(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    out = complete(platform, "leader", task_of(out, "leader_approve"),
                   {"decision": "return", "opinion": "请补充量化目标"})
    revise = out.new_tasks[0]
    assert (revise.element_id, revise.candidate_user) == ("revise", "drafter")
    with platform.db.reading() as session:
        events = queries.instance_events(session, out.instance_id)
    assert any(e.opinion == "请补充量化目标" and e.kind == "task_completed" for e in events)
    out = complete(platform, "drafter", revise.id, {**MEASURE, "content": MEASURE["content"] + "目标：90%全程网办。"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    out = complete(platform, "office", task_of(out, "office_file"), {"doc_number": "营商办〔2026〕4号",
                                                                       "filed_on": "2026-11-21"})
    assert out.end_event == "filed"
    assert "90%全程网办" in library(platform)[0].content


def test_reject_ends_not_adopted(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "reject", "opinion": "重复"})
    assert (out.status, out.end_event, out.new_tasks) == ("completed", "rejected", [])
    assert library(platform) == []


def test_opinion_required_when_returning(platform):
    from workflows.errors import FormInvalid

    out = start(platform, "drafter", "policy_measure", MEASURE)
    with pytest.raises(FormInvalid) as err:
        complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "return"})
    assert err.value.errors == {"opinion": "必填"}


def test_normative_document_passes_both_reviews_in_parallel(platform):
    out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    reviews = {t.element_id: t for t in out.new_tasks}
    assert set(reviews) == {"legality_review", "competition_review"}
    assert reviews["legality_review"].candidate_role == "legality_reviewer"
    out = complete(platform, "justice", reviews["legality_review"].id, {"legality_result": "pass"})
    assert out.new_tasks == []  # the join waits for the other review
    out = complete(platform, "amr_reviewer", reviews["competition_review"].id, {"competition_result": "pass"})
    out = complete(platform, "office", task_of(out, "office_file"), {"doc_number": "营商办〔2026〕5号",
                                                                       "filed_on": "2026-11-22"})
    assert out.end_event == "filed" and library(platform)[0].kind == "normative"


def test_failed_review_goes_back_to_drafter_and_round_two_reviews_again(platform):
    out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    reviews = {t.element_id: t.id for t in out.new_tasks}
    complete(platform, "justice", reviews["legality_review"], {"legality_result": "fail", "opinion": "缺少上位法依据"})
    out = complete(platform, "amr_reviewer", reviews["competition_review"], {"competition_result": "pass"})
    out = complete(platform, "drafter", task_of(out, "revise"), {**MEASURE, "kind": "normative"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    assert {t.element_id for t in out.new_tasks} == {"legality_review", "competition_review"}


def test_only_the_lead_unit_may_draft(platform):
    with pytest.raises(PermissionDenied):
        start(platform, "drafter", "policy_measure", {**MEASURE, "group_code": "taxation"})
    with pytest.raises(PermissionDenied):
        start(platform, "unit", "policy_measure", MEASURE)
