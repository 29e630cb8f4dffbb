"""People who leave or move hand over their open tasks and claims, in one transaction, on both databases."""

import pytest
from sqlalchemy import func, or_, select

from engine import Conflict, TaskAlreadyDone
from engine.models import Event, HumanTask
from engine.queries import open_tasks
from workflows.errors import FormInvalid
from workflows.models import User
from workflows.org_admin import leaving, people
from workflows.org_admin.handover import KEEP, POOL, Plan
from workflows.organisation import actor_for, require_user
from workflows.services import claim_task

from .helpers import CASE, MEASURE, RECTIFIED, complete, snapshot, start, task_of


def claim(platform, username, task_id):
    with platform.db.transaction() as session:
        claim_task(platform, session, username, task_id)


def task(platform, task_id) -> HumanTask:
    with platform.db.reading() as session:
        return session.get(HumanTask, task_id)


def reassignments(platform, task_id) -> list[Event]:
    with platform.db.reading() as session:
        return list(session.scalars(select(Event).where(Event.task_id == task_id, Event.kind == "task_reassigned")))


def inbox_ids(platform, username) -> set[int]:
    with platform.db.reading() as session:
        actor = actor_for(session, require_user(session, username))
        return {t.id for t in open_tasks(session, actor)}


def held_by_inactive(platform) -> int:
    """Open tasks claimed by, or offered personally to, a deactivated person."""
    with platform.db.reading() as session:
        inactive = select(User.username).where(User.active.is_(False))
        return session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.status == "open",
            or_(HumanTask.assignee.in_(inactive), HumanTask.candidate_user.in_(inactive)))) or 0


def deactivate(platform, username, plan=None, by="admin"):
    with platform.db.transaction() as session:
        return leaving.deactivate_person(platform, session, by, username, plan)


def move(platform, username, unit, plan=None):
    with platform.db.transaction() as session:
        return leaving.move_person(platform, session, "admin", username, unit, plan)


def add_person(platform, login, unit, roles="unit_staff"):
    with platform.db.transaction() as session:
        people.create_person(platform, session, "admin", {"login": login, "name": f"{login}同志", "unit": unit,
                                                          "roles": roles, "password": "passw0rd!"})


def test_a_claimed_task_goes_back_to_its_unit_pool_when_its_holder_leaves(platform):
    rectify = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
    claim(platform, "unit", rectify)
    done = deactivate(platform, "unit")
    row = task(platform, rectify)
    assert [r.task_id for r in done] == [rectify]
    assert (row.assignee, row.candidate_unit, row.candidate_user) == (None, "gov_data", None)
    assert rectify in inbox_ids(platform, "unit_head")  # a colleague of the unit may sign for it now
    [event] = reassignments(platform, rectify)
    assert event.actor == "admin" and event.element_id == "rectify"
    assert event.data["from"] == "unit" and event.data["to"] is None and event.data["unit"] == "gov_data"
    assert "已停用" in event.opinion and "待签收" in event.opinion
    assert held_by_inactive(platform) == 0


def test_a_claimed_task_is_handed_to_a_named_colleague(platform):
    rectify = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
    claim(platform, "unit", rectify)
    deactivate(platform, "unit", Plan({rectify: "unit_head"}))
    assert task(platform, rectify).assignee == "unit_head"
    assert rectify in inbox_ids(platform, "unit_head")
    [event] = reassignments(platform, rectify)
    assert (event.data["from"], event.data["to"]) == ("unit", "unit_head")
    complete(platform, "unit_head", rectify, RECTIFIED)  # the colleague finishes it
    assert held_by_inactive(platform) == 0


def test_a_task_offered_to_the_person_alone_goes_to_their_unit(platform):
    out = start(platform, "inspector", "rectification", CASE)
    out = complete(platform, "unit", task_of(out, "rectify"), RECTIFIED)
    verify = task_of(out, "verify")
    assert task(platform, verify).candidate_user == "inspector"
    add_person(platform, "inspector2", "inspection", "inspector")
    deactivate(platform, "inspector")
    row = task(platform, verify)
    assert (row.assignee, row.candidate_user, row.candidate_unit) == (None, None, "inspection")
    assert verify in inbox_ids(platform, "inspector2")
    assert held_by_inactive(platform) == 0


def test_every_open_task_of_the_person_is_handed_over_the_one_way_chosen_for_all(platform):
    cases = [task_of(start(platform, "inspector", "rectification", CASE), "rectify") for _ in range(3)]
    for rectify in cases:
        claim(platform, "unit", rectify)
    done = deactivate(platform, "unit", Plan(default="unit_head"))
    assert sorted(r.task_id for r in done) == cases
    assert {task(platform, t).assignee for t in cases} == {"unit_head"}
    assert all(len(reassignments(platform, t)) == 1 for t in cases)


def test_a_task_claimed_after_the_page_was_drawn_is_handed_over_too(platform):
    first = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
    claim(platform, "unit", first)
    later = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
    claim(platform, "unit", later)
    deactivate(platform, "unit", Plan({first: "unit_head"}))  # the page listed only the first
    assert task(platform, first).assignee == "unit_head"
    assert task(platform, later).assignee is None
    assert held_by_inactive(platform) == 0


@pytest.mark.parametrize("choice", ["unit", "ghost", KEEP, "discipline_gone"])
def test_a_handover_that_cannot_be_followed_changes_nothing(platform, choice):
    rectify = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
    claim(platform, "unit", rectify)
    if choice == "discipline_gone":
        deactivate(platform, "discipline")
        choice = "discipline"
    before = snapshot(platform)
    with pytest.raises(FormInvalid) as refused:
        deactivate(platform, "unit", Plan({rectify: choice}))
    assert f"task-{rectify}" in refused.value.errors
    assert snapshot(platform) == before
    assert task(platform, rectify).assignee == "unit"
    with platform.db.reading() as session:
        assert require_user(session, "unit").active


def test_nobody_deactivates_themselves(platform):
    before = snapshot(platform)
    with pytest.raises(FormInvalid) as refused:
        deactivate(platform, "admin")
    assert "不能停用自己" in refused.value.message
    assert snapshot(platform) == before
    with platform.db.reading() as session:
        assert require_user(session, "admin").active


def test_the_last_admin_cannot_go(platform):
    add_person(platform, "admin2", "office", "admin,office")
    deactivate(platform, "admin", by="admin2")  # another admin remains: allowed
    with platform.db.transaction() as session:
        with pytest.raises(FormInvalid) as refused:
            people.update_person(platform, session, "admin2", "admin2", {"roles": ["office"]})
    assert "至少须保留一名在用的系统管理员" in refused.value.message


def test_moving_returns_the_old_units_claims_and_keeps_personal_tasks(platform):
    rectify = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
    claim(platform, "unit", rectify)
    out = start(platform, "drafter", "policy_measure", MEASURE)
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "return", "opinion": "请补充"})
    revise = task_of(out, "revise")
    done = move(platform, "unit", "tax")
    assert [r.task_id for r in done] == [rectify]
    assert (task(platform, rectify).assignee, task(platform, rectify).candidate_unit) == (None, "gov_data")
    assert "调至区税务局" in reassignments(platform, rectify)[0].opinion
    with platform.db.reading() as session:
        assert require_user(session, "unit").unit_code == "tax"
    # The drafter moves too; the measure sent back to them personally stays theirs.
    done = move(platform, "drafter", "gov_data")
    assert done == [] and task(platform, revise).candidate_user == "drafter"
    assert revise in inbox_ids(platform, "drafter")


def test_moving_may_hand_a_personal_task_to_a_colleague(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "return", "opinion": "请补充"})
    revise = task_of(out, "revise")
    move(platform, "drafter", "gov_data", Plan({revise: "amr_reviewer"}))
    row = task(platform, revise)
    assert (row.assignee, row.candidate_user) == ("amr_reviewer", "amr_reviewer")
    assert revise in inbox_ids(platform, "amr_reviewer") and revise not in inbox_ids(platform, "drafter")


def test_a_task_opened_later_for_a_person_who_left_goes_to_their_unit(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    approve = task_of(out, "leader_approve")
    deactivate(platform, "drafter")
    out = complete(platform, "leader", approve, {"decision": "return", "opinion": "请补充"})
    revise = out.new_tasks[0]
    assert (revise.element_id, revise.candidate_user, revise.candidate_unit) == ("revise", None, "amr")
    assert held_by_inactive(platform) == 0
    assert revise.id in inbox_ids(platform, "amr_reviewer")


def test_the_engine_reassigns_only_open_tasks_and_needs_a_pool_for_a_personal_one(platform):
    out = start(platform, "inspector", "rectification", CASE)
    rectify = task_of(out, "rectify")
    verify = task_of(complete(platform, "unit", rectify, RECTIFIED), "verify")
    with platform.db.transaction() as session, pytest.raises(TaskAlreadyDone):
        platform.engine.reassign(session, rectify, "admin", "unit_head")
    before = snapshot(platform)
    with platform.db.transaction() as session, pytest.raises(Conflict):
        platform.engine.reassign(session, verify, "admin", None)
    assert snapshot(platform) == before
    with platform.db.transaction() as session:
        moved = platform.engine.reassign(session, verify, "admin", None, pool_unit="inspection", reason="测试")
    assert (moved.before.candidate_user, moved.after.candidate_unit) == ("inspector", "inspection")
    with platform.db.transaction() as session:  # back in the pool already: nothing to record
        again = platform.engine.reassign(session, verify, "admin", None, pool_unit="inspection")
    assert again.before == again.after and len(reassignments(platform, verify)) == 1


def test_a_deactivated_person_is_seen_nowhere_as_a_holder_after_a_whole_unit_leaves(platform):
    tasks = [task_of(start(platform, "inspector", "rectification", CASE), "rectify") for _ in range(2)]
    claim(platform, "unit", tasks[0])
    claim(platform, "unit_head", tasks[1])
    deactivate(platform, "unit", Plan(default=POOL))
    deactivate(platform, "unit_head")
    assert held_by_inactive(platform) == 0
    assert {task(platform, t).assignee for t in tasks} == {None}
