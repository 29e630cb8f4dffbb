"""Workflows kept alive between actions: a memo of decoding the exact bytes in the instance row.

Whatever changed the row elsewhere, and whatever was rolled back, is read from the row. (conftest
also checks every reuse, in every test, against the stored bytes.)
"""

import pytest
from sqlalchemy import func, select

from engine.models import Event, HumanTask
from workflows.platform import Platform

from .helpers import CASE, RECTIFIED, complete, start, task_of


def test_an_ordinary_flow_reuses_the_workflow_each_action_saved(platform):
    live = platform.engine.live
    out = start(platform, "inspector", "rectification", CASE)
    out = complete(platform, "unit", task_of(out, "rectify"), RECTIFIED)
    assert out.instance_id in live
    out = complete(platform, "inspector", task_of(out, "verify"), {"decision": "pass"})
    assert (live.hits, live.misses) == (2, 0)
    assert out.instance_id not in live  # a finished instance has no next action to keep it for


def test_a_row_changed_by_another_process_is_read_from_the_row(platform):
    other = Platform(platform.db.url)  # another process: its own caches, the same database
    try:
        out = start(platform, "inspector", "rectification", CASE)
        out = complete(other, "unit", task_of(out, "rectify"), RECTIFIED)
        out = complete(platform, "inspector", task_of(out, "verify"),
                       {"decision": "fail", "opinion": "再改", "deadline_days": 2})
    finally:
        other.db.dispose()
    assert [t.element_id for t in out.new_tasks] == ["rectify"]
    assert platform.engine.live.misses == 1


def test_a_rolled_back_action_leaves_nothing_behind_in_the_kept_workflows(platform):
    out = start(platform, "inspector", "rectification", CASE)
    rectify = task_of(out, "rectify")
    with pytest.raises(RuntimeError), platform.db.transaction() as session:
        platform.engine.complete(session, rectify, "unit", RECTIFIED)
        raise RuntimeError("the caller's own write failed")
    out = complete(platform, "unit", rectify, RECTIFIED)
    assert [t.element_id for t in out.new_tasks] == ["verify"]
    with platform.db.reading() as session:
        verify_rows = session.scalar(select(func.count()).select_from(HumanTask)
                                     .where(HumanTask.element_id == "verify"))
        completions = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_completed"))
    assert (verify_rows, completions) == (1, 1)


def test_the_cache_keeps_at_most_its_size_and_drops_the_longest_unused():
    from engine.live import LiveWorkflows

    live, spec = LiveWorkflows(size=2), object()
    for instance_id in (1, 2, 3):
        live.put(instance_id, spec, b"s", f"workflow {instance_id}")
    assert live.take(1, spec, b"s") is None
    assert live.take(3, spec, b"s") == "workflow 3"
    assert live.take(3, spec, b"s") is None  # taken, not shared
    assert live.take(2, object(), b"s") is None  # another spec object: the spec cache was cleared
