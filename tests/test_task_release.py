"""取消签收: the person who claimed a task gives it back to its pool; pages, API, rules, on both databases."""

import pytest
from sqlalchemy import select

from engine import StaleVersion
from engine.models import Event, HumanTask
from workflows.errors import PermissionDenied
from workflows.models import Notification
from workflows.services import claim_task
from workflows.task_operations.release import release_task

from .engine_support import deploy
from .helpers import CASE, RECTIFIED, complete, snapshot, start, task_of
from .test_admin import client_for
from .test_api import Api
from .test_element_settings import with_settings


def claimed_case(platform, user="unit"):
    out = start(platform, "inspector", "rectification", CASE)
    task_id = task_of(out, "rectify")
    with platform.db.transaction() as session:
        claim_task(platform, session, user, task_id)
    return out, task_id


def row(platform, task_id) -> HumanTask:
    with platform.db.reading() as session:
        return session.get(HumanTask, task_id)


def release(platform, user, task_id, **kwargs):
    with platform.db.transaction() as session:
        return release_task(platform, session, user, task_id, **kwargs)


def test_the_holder_gives_a_task_back_and_a_colleague_takes_it(platform):
    out, task_id = claimed_case(platform)
    release(platform, "unit", task_id, reason="本周出差，请同事办理")
    task = row(platform, task_id)
    assert (task.assignee, task.candidate_unit, task.status) == (None, "gov_data", "open")
    with platform.db.reading() as session:
        event = session.scalars(select(Event).where(Event.kind == "task_released")).one()
        told = session.scalars(select(Notification.recipient).where(Notification.kind == "task_released")).all()
    assert (event.actor, event.opinion, event.task_id) == ("unit", "本周出差，请同事办理", task_id)
    assert "unit" not in told and told  # the unit's other people hear of it
    with platform.db.transaction() as session:
        claim_task(platform, session, "unit_head", task_id)
    assert complete(platform, "unit_head", task_id, RECTIFIED).new_tasks


@pytest.mark.parametrize("who", ["unit_head", "inspector"])
def test_only_the_holder_may_give_it_back(platform, who):
    _out, task_id = claimed_case(platform)
    before = snapshot(platform)
    with pytest.raises(PermissionDenied):
        release(platform, who, task_id)
    assert snapshot(platform) == before and row(platform, task_id).assignee == "unit"


def test_a_task_changed_since_it_was_seen_is_not_given_back(platform):
    out, task_id = claimed_case(platform)
    from workflows.extensions import decide_extension, request_extension
    from workflows.models import RectificationCase

    with platform.db.transaction() as session:
        case_id = session.scalars(select(RectificationCase.id)).one()
        req = request_extension(platform, session, "unit", case_id, 3, "需协调第三方系统改造")
    with platform.db.transaction() as session:
        decide_extension(platform, session, "inspector", req.id, True, "同意")
    before = snapshot(platform)
    with pytest.raises(StaleVersion):
        release(platform, "unit", task_id, expected_version=out.version)
    assert snapshot(platform) == before


def test_a_diagram_may_forbid_it(platform):
    xml = with_settings('{"deny": ["release"]}', element="review", CONDITION="False")
    deploy(platform, xml)
    out = start(platform, "office", "scripted", {})
    out = complete(platform, "office", task_of(out, "prepare"), {})
    review = task_of(out, "review")
    with platform.db.transaction() as session:
        claim_task(platform, session, "office", review)
    with pytest.raises(PermissionDenied) as err:
        release(platform, "office", review)
    assert "不允许取消签收" in err.value.message
    page = client_for(platform, "office").get(f"/tasks/{review}").get_data(as_text=True)
    assert 'id="op-release"' not in page


def test_the_page_offers_it_to_the_holder_only_and_it_works(platform):
    _out, task_id = claimed_case(platform)
    assert 'id="op-release"' not in client_for(platform, "unit_head").get(f"/tasks/{task_id}").get_data(as_text=True)
    holder = client_for(platform, "unit")
    page = holder.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="op-release"' in page
    done = holder.post(f"/tasks/{task_id}/release", data={"reason": "请同事办理"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/inbox/")
    assert row(platform, task_id).assignee is None
    again = holder.post(f"/tasks/{task_id}/release", data={})
    assert again.status_code == 303 and f"/tasks/{task_id}" in again.headers["Location"]  # said why, on the task


def test_the_api_gives_it_back_and_refuses_what_it_does_not_read(platform):
    out, task_id = claimed_case(platform)
    api = Api(platform)
    url = f"/api/tasks/{task_id}/release"
    before = snapshot(platform)
    assert api.post("unit", url, {"reason": 1}).status_code == 400
    assert api.post("unit", url, {"why": "x"}).status_code == 400
    assert api.post("unit_head", url, {}).status_code == 403
    assert snapshot(platform) == before
    done = api.post("unit", url, {"reason": "请同事办理"}, headers={"If-Match": f'"{out.version}"'})
    assert done.status_code == 200 and done.json == {"task_id": task_id, "assignee": None, "candidate_unit": "gov_data"}
    assert api.post("unit", url, {}).status_code == 403  # no longer held by them
