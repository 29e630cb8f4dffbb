"""The modeler's 环节设置 panel: an admin forbids 转办 on 整改 and the deployed version carries it."""

import pytest

from ..helpers import CASE, start, task_of
from .conftest import login, screenshot
from .test_editor import active_version

pytestmark = pytest.mark.browser


def test_the_panel_writes_the_settings_the_new_version_keeps(new_page, live_server, live_platform):
    base = active_version(live_platform)
    page = new_page()
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/admin/definitions/{base.id}/edit")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert "选择一个用户任务" in page.inner_text("#element-settings")
    page.evaluate("""() => {
      const modeler = window.ysflowModeler.modeler;
      modeler.get('selection').select(modeler.get('elementRegistry').get('rectify'));
    }""")
    page.check("#yf-setting-deny-transfer")
    page.check("#yf-setting-deny-withdraw")
    written = page.evaluate("""() => window.ysflowModeler.modeler.get('elementRegistry').get('rectify')
      .businessObject.get('yf:settings')""")
    assert written == '{"deny":["transfer","withdraw"]}'
    page.uncheck("#yf-setting-deny-withdraw")
    screenshot(page, "modeler-element-settings")
    page.click("#save-button")
    page.wait_for_selector("#deployed-version")
    deployed = active_version(live_platform)
    assert deployed.version == base.version + 1
    assert deployed.settings == {"rectify": {"deny": ["transfer"]}}
    assert "yf:settings=" in deployed.bpmn_xml and "transfer" in deployed.bpmn_xml
    assert 'xmlns:yf="https://yingshang-flow.example/bpmn/settings"' in deployed.bpmn_xml

    # Reopened, the panel shows what the version holds; a new case runs on it.
    page.goto(f"{live_server.url}/admin/definitions/{deployed.id}/edit")
    page.wait_for_selector("body[data-modeler-ready=true]")
    page.evaluate("""() => {
      const modeler = window.ysflowModeler.modeler;
      modeler.get('selection').select(modeler.get('elementRegistry').get('rectify'));
    }""")
    assert page.is_checked("#yf-setting-deny-transfer") and not page.is_checked("#yf-setting-deny-withdraw")
    assert task_of(start(live_platform, "inspector", "rectification", CASE), "rectify")
