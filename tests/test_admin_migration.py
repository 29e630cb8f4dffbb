"""Moving running instances onto a new version, and the diff between versions, on both databases."""

from sqlalchemy import select, update

from engine.diff import diff_definitions
from engine.migration import migrate_instances
from engine.models import DueJob, Event, HumanTask, ProcessDefinition, ProcessInstance
from workflows import definitions_admin

from .helpers import CASE, RECTIFIED, complete, start, task_of
from .test_admin import REVIEW_FORM, active_rectification, client_for, verify_renamed, with_review_task


def deploy(platform, xml, forms, migrate=False):
    with platform.db.transaction() as session:
        return definitions_admin.deploy_diagram(platform, session, "admin", xml, forms, migrate)


def instance(platform, instance_id) -> ProcessInstance:
    with platform.db.reading() as session:
        return session.get(ProcessInstance, instance_id)


def version_of(platform, instance_id) -> int:
    with platform.db.reading() as session:
        row = session.get(ProcessInstance, instance_id)
        return session.get(ProcessDefinition, row.definition_id).version


def open_rows(platform, instance_id) -> list[tuple]:
    with platform.db.reading() as session:
        rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.status == "open").order_by(HumanTask.id))
        return [(r.id, r.element_id) for r in rows]


def pending_jobs(platform, instance_id) -> list[tuple]:
    with platform.db.reading() as session:
        jobs = session.scalars(select(DueJob).where(DueJob.instance_id == instance_id, DueJob.status == "pending")
                               .order_by(DueJob.id))
        return [(j.element_id, j.due_at) for j in jobs]


def migrated_events(platform, instance_id) -> list[dict]:
    with platform.db.reading() as session:
        return [e.data for e in session.scalars(select(Event).where(Event.instance_id == instance_id,
                                                                     Event.kind == "instance_migrated"))]


def two_cases(platform):
    """One case waiting at 整改 (rectify), one waiting at 核查 (verify)."""
    at_rectify = start(platform, "inspector", "rectification", CASE)
    other = start(platform, "inspector", "rectification", CASE)
    at_verify = complete(platform, "unit", task_of(other, "rectify"), RECTIFIED)
    return at_rectify, at_verify


def test_instances_whose_tasks_still_exist_move_and_the_others_are_reported(platform):
    base = active_rectification(platform)
    at_rectify, at_verify = two_cases(platform)
    rows_before = open_rows(platform, at_rectify.instance_id)
    jobs_before = pending_jobs(platform, at_rectify.instance_id)
    forms = {("check" if k == "verify" else k): v for k, v in base.forms.items()}
    deployed, report = deploy(platform, verify_renamed(base.bpmn_xml), forms, migrate=True)
    assert deployed.version == base.version + 1
    assert report.moved == [at_rectify.instance_id]
    assert list(report.skipped) == [at_verify.instance_id]
    assert "verify" in report.skipped[at_verify.instance_id] and "核查" in report.skipped[at_verify.instance_id]
    # The moved case: new version, same open task row, same timers, one event, version bumped.
    moved = instance(platform, at_rectify.instance_id)
    assert moved.definition_id == deployed.id and moved.version == at_rectify.version + 1
    assert open_rows(platform, at_rectify.instance_id) == rows_before
    assert pending_jobs(platform, at_rectify.instance_id) == jobs_before
    assert migrated_events(platform, at_rectify.instance_id) == [{
        "from_definition_id": base.id, "from_version": base.version,
        "to_definition_id": deployed.id, "to_version": deployed.version}]
    # The other case is untouched and has no event.
    stayed = instance(platform, at_verify.instance_id)
    assert (stayed.definition_id, stayed.version) == (base.id, at_verify.version)
    assert migrated_events(platform, at_verify.instance_id) == []
    # Both run on: the moved one reaches the new 核查 (check), the other finishes on the old version.
    out = complete(platform, "unit", rows_before[0][0], RECTIFIED)
    assert [t.element_id for t in out.new_tasks] == ["check"]
    out = complete(platform, "inspector", task_of(out, "check"), {"decision": "pass"})
    assert out.end_event == "closed" and version_of(platform, at_rectify.instance_id) == deployed.version
    out = complete(platform, "inspector", task_of(at_verify, "verify"), {"decision": "pass"})
    assert out.end_event == "closed" and version_of(platform, at_verify.instance_id) == base.version


def test_a_moved_instance_follows_the_new_diagram(platform):
    base = active_rectification(platform)
    at_rectify, at_verify = two_cases(platform)
    deployed, report = deploy(platform, with_review_task(base.bpmn_xml), {**base.forms, "review": REVIEW_FORM},
                              migrate=True)
    assert sorted(report.moved) == sorted([at_rectify.instance_id, at_verify.instance_id]) and not report.skipped
    out = complete(platform, "unit", task_of(at_rectify, "rectify"), RECTIFIED)
    assert [t.element_id for t in out.new_tasks] == ["review"]
    out = complete(platform, "unit", task_of(out, "review"), {"opinion": "同意提交核查"})
    assert [t.element_id for t in out.new_tasks] == ["verify"]


def test_a_stale_instance_is_skipped_and_left_as_it_was(platform):
    base = active_rectification(platform)
    case = start(platform, "inspector", "rectification", CASE)
    deployed, _ = deploy(platform, with_review_task(base.bpmn_xml), {**base.forms, "review": REVIEW_FORM})
    real_load = platform.engine.load_workflow

    def load_then_someone_completes(session, instance_id):
        workflow = real_load(session, instance_id)
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(version=ProcessInstance.version + 1))
        return workflow

    platform.engine.load_workflow = load_then_someone_completes
    with platform.db.transaction() as session:
        report = migrate_instances(platform.engine, session, deployed.id, actor="admin")
    assert report.moved == [] and "已被他人更新" in report.skipped[case.instance_id]
    row = instance(platform, case.instance_id)
    assert (row.definition_id, row.version) == (base.id, case.version)
    assert migrated_events(platform, case.instance_id) == []


def test_listed_instances_only_and_unknown_ones_reported(platform):
    base = active_rectification(platform)
    first = start(platform, "inspector", "rectification", CASE)
    second = start(platform, "inspector", "rectification", CASE)
    deployed, _ = deploy(platform, with_review_task(base.bpmn_xml), {**base.forms, "review": REVIEW_FORM})
    with platform.db.transaction() as session:
        report = definitions_admin.migrate(platform, session, "admin", deployed.id, [second.instance_id, 999])
    assert report.moved == [second.instance_id] and list(report.skipped) == [999]
    assert version_of(platform, first.instance_id) == base.version


def test_the_migrate_page_reports_moved_and_skipped(platform):
    base = active_rectification(platform)
    at_rectify, at_verify = two_cases(platform)
    forms = {("check" if k == "verify" else k): v for k, v in base.forms.items()}
    deployed, _ = deploy(platform, verify_renamed(base.bpmn_xml), forms)
    client = client_for(platform, "admin")
    assert "迁移旧版本实例" in client.get("/admin/").get_data(as_text=True)
    page = client.post(f"/admin/definitions/{deployed.id}/migrate").get_data(as_text=True)
    assert f"#{at_rectify.instance_id}" in page[page.index('id="migrated"'):page.index('id="skipped"')]
    assert f"#{at_verify.instance_id}" in page[page.index('id="skipped"'):]
    assert client.post("/admin/definitions/9999/migrate").status_code == 404


def test_diff_lists_added_removed_and_changed_elements():
    base = with_review_task().replace('name="整改"', 'name="整改落实"')
    added = diff_definitions(with_review_task().replace("review", "rv"), base)
    assert {c.element_id for c in added.added} >= {"review", "flow_review_verify"}
    changes = diff_definitions(with_review_task(), verify_renamed(with_review_task()))
    assert [c.element_id for c in changes.removed] == ["verify"]
    assert [c.element_id for c in changes.added] == ["check"]
    assert "flow_verify_decision" in {c.element_id for c in changes.changed}
    renamed = diff_definitions(with_review_task(), base)
    assert [(c.element_id, c.what) for c in renamed.changed] == [("rectify", ["name"])]
    moved_only = with_review_task().replace('x="300" y="320"', 'x="310" y="330"')
    assert diff_definitions(with_review_task(), moved_only).empty


def test_a_moved_instance_shows_the_new_versions_step_name_in_the_inbox_and_on_the_task_page(platform):
    at_rectify, at_verify = two_cases(platform)
    xml = active_rectification(platform).bpmn_xml
    renamed = xml.replace('name="整改"', 'name="整改落实"').replace('name="核查"', 'name="核查销号"')
    _deployed, report = deploy(platform, renamed, None, migrate=True)
    assert sorted(report.moved) == sorted([at_rectify.instance_id, at_verify.instance_id])
    with platform.db.reading() as session:
        names = {r.element_id: r.name for r in session.scalars(
            select(HumanTask).where(HumanTask.status == "open"))}
    assert names == {"rectify": "整改落实", "verify": "核查销号"}
    unit = client_for(platform, "unit")
    assert "整改落实" in unit.get("/inbox/").get_data(as_text=True)
    page = unit.get(f"/tasks/{task_of(at_rectify, 'rectify')}").get_data(as_text=True)
    assert "<h1" in page and "整改落实" in page[page.index("<h1"):page.index("</h1>")]
    inspector = client_for(platform, "inspector")
    verify_id = task_of(at_verify, "verify")
    assert "核查销号" in inspector.get(f"/tasks/{verify_id}").get_data(as_text=True).split("</h1>")[0]


def test_a_task_moved_to_another_lane_is_offered_to_that_lane_and_its_claim_dropped(platform):
    case = start(platform, "inspector", "rectification", CASE)
    rectify = task_of(case, "rectify")
    with platform.db.transaction() as session:
        platform.engine.claim(session, rectify, "unit")
    xml = active_rectification(platform).bpmn_xml
    moved = xml.replace("        <bpmn:flowNodeRef>rectify</bpmn:flowNodeRef>\n", "").replace(
        "<bpmn:flowNodeRef>verify</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>verify</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>rectify</bpmn:flowNodeRef>")
    assert moved.count("<bpmn:flowNodeRef>rectify</bpmn:flowNodeRef>") == 1 and moved != xml
    _deployed, report = deploy(platform, moved, None, migrate=True)
    assert report.moved == [case.instance_id]
    with platform.db.reading() as session:
        row = session.get(HumanTask, rectify)
    assert (row.status, row.lane, row.assignee, row.candidate_user) == ("open", "inspector", None, "inspector")
