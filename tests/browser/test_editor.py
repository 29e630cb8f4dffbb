"""The admin's BPMN editor in Chromium: add a task, see the missing form on it, add the form, deploy,
and new cases start on the new version while a case started before finishes on the old one."""

import json

import pytest
from sqlalchemy import select

from engine.models import ProcessDefinition, ProcessInstance

from ..helpers import CASE, RECTIFIED, complete, start, task_of
from .conftest import login, screenshot

pytestmark = pytest.mark.browser

REVIEW_FORM = {"title": "单位负责人审核", "type": "object", "required": ["opinion"],
               "properties": {"opinion": {"type": "string", "title": "审核意见", "x-widget": "textarea"},
                              "agree": {"type": "string", "title": "结论", "enum": ["同意", "退回"]}}}

ADD_TASK = """() => {
  const modeler = window.ysflowModeler.modeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const shape = modeler.get('elementFactory').createShape({ type: 'bpmn:UserTask' });
  const lane = registry.get('lane_responsible_unit');
  const task = modeling.createShape(shape, { x: lane.x + lane.width - 180, y: lane.y + 70 }, lane);
  modeling.updateProperties(task, { name: '单位负责人审核' });
  modeling.removeElements([registry.get('flow_rectify_verify')]);
  modeling.connect(registry.get('rectify'), task);
  modeling.connect(task, registry.get('verify'));
  return task.id;
}"""


def definition_version(platform, instance_id) -> tuple[int, str]:
    with platform.db.reading() as session:
        instance = session.get(ProcessInstance, instance_id)
        return session.get(ProcessDefinition, instance.definition_id).version, instance.status


def active_version(platform) -> ProcessDefinition:
    with platform.db.reading() as session:
        return session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "rectification")
                               .order_by(ProcessDefinition.version.desc())).first()


def test_admin_adds_a_task_fixes_its_form_and_deploys_a_new_version(new_page, live_server, live_platform):
    base = active_version(live_platform)
    old_case = start(live_platform, "inspector", "rectification", CASE)
    page = new_page()
    login(page, live_server.url, "admin")
    page.click("text=流程管理")
    page.locator('[data-process="rectification"]').get_by_text("编辑当前版本").click()
    page.wait_for_selector("body[data-modeler-ready=true]")
    task_id = page.evaluate(ADD_TASK)

    page.click("#save-button")
    page.wait_for_selector("#status.alert-danger")
    problem = page.locator(f'#problems .problem[data-element-id="{task_id}"]')
    assert "缺少表单" in problem.inner_text()
    assert page.locator(f'.djs-element.has-problem[data-element-id="{task_id}"]').count() == 1
    assert "缺少表单" in page.locator(f'.problem-overlay[data-element-id="{task_id}"]').inner_text()
    assert active_version(live_platform).version == base.version  # nothing deployed
    screenshot(page, "editor-missing-form")

    problem.click()  # opens the task's form in the forms area
    assert page.input_value("#form-element") == task_id
    page.fill("#form-json", json.dumps(REVIEW_FORM, ensure_ascii=False, indent=2))
    page.wait_for_selector('#form-preview [data-field="opinion"] textarea')
    assert page.locator('#form-preview select[name="agree"] option').count() == 3

    page.click("#save-button")
    page.wait_for_selector("#deployed-version")
    new_version = int(page.get_attribute("#deployed-version", "data-version"))
    assert new_version == base.version + 1 == active_version(live_platform).version
    assert page.locator(".djs-element.has-problem").count() == 0
    screenshot(page, "editor-deployed")

    new_case = start(live_platform, "inspector", "rectification", CASE)
    assert definition_version(live_platform, new_case.instance_id) == (new_version, "running")
    out = complete(live_platform, "unit", task_of(new_case, "rectify"), RECTIFIED)
    assert [t.element_id for t in out.new_tasks] == [task_id]
    out = complete(live_platform, "unit", task_of(old_case, "rectify"), RECTIFIED)
    out = complete(live_platform, "inspector", task_of(out, "verify"), {"decision": "pass"})
    assert definition_version(live_platform, old_case.instance_id) == (base.version, "completed")

    page.goto(f"{live_server.url}/admin/")
    active = page.locator('[data-process="rectification"] tr.active-version')
    assert active.get_attribute("data-version") == str(new_version) and "当前版本" in active.inner_text()
    old_row = page.locator(f'[data-process="rectification"] tr[data-version="{base.version}"]')
    assert old_row.locator(".running-count").inner_text() == "0"  # the old case has finished
    screenshot(page, "admin-index")

    page.goto(f"{live_server.url}/admin/processes/rectification/diff")
    page.wait_for_selector("body[data-diff-ready=true]")
    assert page.locator(f'#diff-new .djs-element.diff-added[data-element-id="{task_id}"]').count() == 1
    assert page.locator('#diff-old .djs-element.diff-removed[data-element-id="flow_rectify_verify"]').count() == 1
    screenshot(page, "editor-diff")


def test_non_admins_get_403_on_the_editor(new_page, live_server):
    page = new_page()
    login(page, live_server.url, "office")
    assert "流程管理" not in page.inner_text("nav")
    response = page.goto(f"{live_server.url}/admin/")
    assert response.status == 403
