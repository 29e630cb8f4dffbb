"""The engine's promises (DESIGN.md), each pinned on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select, update

from engine import ExecutionFailed, InvalidDefinition, StaleVersion, TaskAlreadyDone, TaskNotFound, queries
from engine.clock import as_utc
from engine.models import DueJob, HumanTask, ProcessDefinition, ProcessInstance
from workflows.errors import FormInvalid, PermissionDenied
from workflows.hooks import ProcessHooks, register

from .engine_support import deploy, scripted_xml
from .helpers import CASE, MEASURE, RECTIFIED, complete, snapshot, start, task_of


def test_failure_mid_step_leaves_no_partial_row(platform):
    deploy(platform, scripted_xml(SCRIPT="total = 1 / 0"))
    out = start(platform, "office", "scripted", {})
    before = snapshot(platform)
    with pytest.raises(ExecutionFailed) as err:
        complete(platform, "office", task_of(out, "prepare"), {"note": "x"})
    assert "ZeroDivisionError" in err.value.message
    assert snapshot(platform) == before


class _Explodes(ProcessHooks):
    def after_complete(self, platform, session, user, task, data, outcome):
        raise RuntimeError("ledger write failed")


def test_a_failing_domain_write_rolls_back_the_engine_step(platform):
    deploy(platform, scripted_xml().replace('id="scripted"', 'id="exploding"'))
    register("exploding", _Explodes())
    out = start(platform, "office", "exploding", {})
    before = snapshot(platform)
    with pytest.raises(RuntimeError):
        complete(platform, "office", task_of(out, "prepare"), {})
    assert snapshot(platform) == before


def test_a_parallel_task_completes_on_the_version_its_person_saw(platform):
    """Both reviews were open at version `seen`; the second applies after the first moved the instance on."""
    out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    reviews = {t.element_id: t.id for t in out.new_tasks}
    seen = out.version
    complete(platform, "justice", reviews["legality_review"], {"legality_result": "pass"}, expected_version=seen)
    out = complete(platform, "amr_reviewer", reviews["competition_review"], {"competition_result": "pass"},
                   expected_version=seen)
    assert [t.element_id for t in out.new_tasks] == ["office_file"] and out.version == seen + 2


def test_a_completion_on_a_version_before_its_task_changed_is_refused(platform):
    """The deadline of the task was extended after the person loaded it: 409, nothing written."""
    from workflows.extensions import decide_extension, request_extension
    from workflows.models import RectificationCase

    out = start(platform, "inspector", "rectification", CASE)
    rectify, seen = task_of(out, "rectify"), out.version
    with platform.db.transaction() as session:
        case_id = session.scalars(select(RectificationCase.id)).one()
        req = request_extension(platform, session, "unit", case_id, 3, "需协调第三方系统改造")
    with platform.db.transaction() as session:
        decide_extension(platform, session, "inspector", req.id, True, "同意")
    before = snapshot(platform)
    for stale in (seen, seen + 5):  # before the change, and a version the instance never had
        with pytest.raises(StaleVersion):
            complete(platform, "unit", rectify, RECTIFIED, expected_version=stale)
    assert snapshot(platform) == before
    now = before["versions"][out.instance_id]
    assert complete(platform, "unit", rectify, RECTIFIED, expected_version=now).version == now + 1


def test_a_task_completed_twice_is_refused_naming_who_did_it(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    task = task_of(out, "leader_approve")
    complete(platform, "leader", task, {"decision": "approve"})
    before = snapshot(platform)
    with pytest.raises(TaskAlreadyDone) as err:
        complete(platform, "leader", task, {"decision": "reject", "opinion": "再审"})
    assert "已由 周建华 于" in err.value.message
    assert snapshot(platform) == before


@pytest.mark.parametrize("who, task_id, data, error", [
    ("unit", None, RECTIFIED | {"measures": ""}, FormInvalid),        # fails its schema
    ("unit", None, RECTIFIED | {"extra": "x"}, FormInvalid),          # a field the form does not have
    ("unit2", None, RECTIFIED, PermissionDenied),                      # another unit's task
    ("inspector", None, RECTIFIED, PermissionDenied),                  # not the responsible unit
    ("unit", 999_999, RECTIFIED, TaskNotFound),                        # no such task
    ("nobody", None, RECTIFIED, PermissionDenied),                     # no such user
])
def test_bad_input_changes_nothing(platform, who, task_id, data, error):
    out = start(platform, "inspector", "rectification", CASE)
    before = snapshot(platform)
    with pytest.raises(error):
        complete(platform, who, task_id or task_of(out, "rectify"), data)
    assert snapshot(platform) == before


def test_the_inbox_reads_the_projection_never_the_saved_state(platform):
    out = start(platform, "inspector", "rectification", CASE)
    with platform.db.transaction() as session:
        session.execute(update(ProcessInstance).values(state=b"not a workflow"))
    with platform.db.reading() as session:
        tasks = queries.open_tasks(session, queries.Actor("unit", units=("gov_data",)))
    assert [t.id for t in tasks] == [task_of(out, "rectify")]


def test_redeploy_keeps_running_instances_on_their_version(platform):
    old = start(platform, "inspector", "rectification", CASE)
    xml = open("bpmn/rectification.bpmn", encoding="utf-8").read().replace('name="整改"', 'name="整改落实"')
    from workflows.forms import load_shipped_forms

    with platform.db.transaction() as session:
        v2 = platform.engine.deploy(session, xml, forms=load_shipped_forms("rectification"), deployed_by="admin")
    new = start(platform, "inspector", "rectification", CASE)
    with platform.db.reading() as session:
        old_def = session.get(ProcessInstance, old.instance_id).definition_id
        new_def = session.get(ProcessInstance, new.instance_id).definition_id
        versions = {d.id: d.version for d in session.scalars(select(ProcessDefinition))}
    assert versions[new_def] == v2.version == versions[old_def] + 1
    assert old.new_tasks[0].name == "整改" and new.new_tasks[0].name == "整改落实"
    out = complete(platform, "unit", task_of(old, "rectify"), RECTIFIED)
    assert out.new_tasks[0].element_id == "verify"


def test_an_invalid_deploy_leaves_the_active_version_untouched(platform):
    with platform.db.reading() as session:
        before = [(d.id, d.version) for d in queries.definitions(session, "rectification")]
    bad = open("bpmn/rectification.bpmn", encoding="utf-8").read().replace('name="responsible_unit"', 'name="nobody"')
    with pytest.raises(InvalidDefinition) as err:
        deploy(platform, bad, forms={})
    assert {p.element_id for p in err.value.problems} >= {"rectify", "verify"}
    with platform.db.reading() as session:
        assert [(d.id, d.version) for d in queries.definitions(session, "rectification")] == before


def test_a_timer_fires_on_the_engine_clock_and_is_recorded(platform):
    from datetime import timedelta

    out = start(platform, "inspector", "rectification", CASE)
    with platform.db.reading() as session:
        job = session.scalars(select(DueJob).where(DueJob.instance_id == out.instance_id,
                                                   DueJob.element_id == "rectify_deadline")).one()
    late = platform.at(lambda: as_utc(job.due_at) + timedelta(minutes=1))
    with late.db.transaction() as session:
        fired, _elements = late.engine.fire_due(session, session.get(DueJob, job.id))
    assert fired is not None and fired.status == "running"  # non-interrupting: 整改 stays open
    with platform.db.reading() as session:
        kinds = [e.kind for e in queries.instance_events(session, out.instance_id)]
        still_open = session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
    assert "timer_fired" in kinds and [t.element_id for t in still_open] == ["rectify"]


def test_a_diagram_in_another_encoding_is_stored_as_utf8(platform):
    xml = scripted_xml().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("脚本测试", "Tâche")
    deployed = deploy(platform, xml.encode("latin-1", errors="xmlcharrefreplace"))
    with platform.db.reading() as session:
        stored = session.get(ProcessDefinition, deployed.id).bpmn_xml
    assert stored.startswith('<?xml version="1.0" encoding="UTF-8"?>') and "Tâche" in stored


def test_two_deploys_racing_for_one_version_number_get_a_conflict(pg_platform):
    from engine import Conflict

    from .test_concurrency import MeetingClock, run_together

    clock = MeetingClock(2)  # both read the latest version number before either writes
    platform = pg_platform.at(clock)
    forms = {"prepare": {"type": "object"}, "review": {"type": "object"}}

    def deploy_once():
        with platform.db.transaction() as session:
            return platform.engine.deploy(session, scripted_xml(), forms=forms).version

    clock.armed = True
    results = run_together([deploy_once, deploy_once])
    kinds = sorted(type(value).__name__ if kind == "error" else kind for kind, value in results)
    assert kinds == ["Conflict", "ok"], results
    assert isinstance(next(v for k, v in results if k == "error"), Conflict)


def test_a_timer_due_during_an_action_fires_inside_it_and_is_recorded(platform):
    from datetime import timedelta

    from .engine_support import BPMN

    deploy(platform, (BPMN / "parallel_timer.bpmn").read_text("utf-8"), key_forms=("prepare", "review"))
    out = start(platform, "office", "parallel_timer", {})
    later = platform.at(lambda: platform.clock() + timedelta(days=6))
    out = complete(later, "office", task_of(out, "prepare"), {})
    assert out.fired_timers == ["wait"] and [t.element_id for t in out.new_tasks] == ["review"]
    with platform.db.reading() as session:
        job = session.scalars(select(DueJob).where(DueJob.instance_id == out.instance_id)).one()
        kinds = [e.kind for e in queries.instance_events(session, out.instance_id)]
    assert job.status == "fired" and "timer_fired" in kinds


def test_a_completion_on_a_version_before_a_migration_is_refused(platform):
    """A migration may rename or re-form the open task: what was seen before it is stale."""
    from .test_admin import REVIEW_FORM, active_rectification, with_review_task
    from .test_admin_migration import deploy as deploy_version
    from .test_admin_migration import two_cases

    base = active_rectification(platform)
    at_rectify, _at_verify = two_cases(platform)
    deploy_version(platform, with_review_task(base.bpmn_xml), {**base.forms, "review": REVIEW_FORM}, migrate=True)
    rectify = task_of(at_rectify, "rectify")
    before = snapshot(platform)
    with pytest.raises(StaleVersion):
        complete(platform, "unit", rectify, RECTIFIED, expected_version=at_rectify.version)
    assert snapshot(platform) == before
    assert complete(platform, "unit", rectify, RECTIFIED, expected_version=at_rectify.version + 1).version
