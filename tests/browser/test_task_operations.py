"""The task page's operations besides completing, clicked as the person who may and seen by one who may not."""

import pytest

from workflows.services import claim_task

from ..helpers import CASE, start, task_of
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_the_holder_gives_a_claimed_task_back_and_a_colleague_sees_it_to_claim(new_page, live_server, live_platform):
    task_id = task_of(start(live_platform, "inspector", "rectification", CASE), "rectify")
    with live_platform.db.transaction() as session:
        claim_task(live_platform, session, "unit", task_id)

    other = new_page()
    login(other, live_server.url, "unit_head")
    other.goto(f"{live_server.url}/tasks/{task_id}")
    assert other.locator("#op-release").count() == 0  # not theirs to give back

    page = new_page()
    login(page, live_server.url, "unit")
    page.goto(f"{live_server.url}/tasks/{task_id}")
    page.fill("#op-release input[name=reason]", "本周出差")
    screenshot(page, "task-release")
    page.click("#op-release button")
    page.wait_for_url("**/inbox/")
    assert "已取消签收" in page.inner_text("body")

    other.goto(f"{live_server.url}/inbox/?claimed=free")
    assert other.locator(f'[data-task-id="{task_id}"]').count() == 1
