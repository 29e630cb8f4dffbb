"""Every script and expression runs under a CPU-time, memory and call-depth budget, and data is capped.

Going over is a clean 422 naming the element, with nothing written, on SQLite and PostgreSQL;
while a runaway script is being stopped the server goes on answering others.
"""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import DataTooLarge, InvalidDefinition, ScriptFailed, ScriptLimitExceeded
from engine.codec import MAX_STATE_BYTES
from engine.models import DueJob
from engine.script_engine import Limits, check_source
from engine.state import CODEC, new_workflow
from web import create_app
from workflows.deadlines import make_worker
from workflows.tokens import issue_token

from .conftest import make_platform
from .engine_support import BPMN, ENGINE, deploy, scripted_xml, spec_of
from .helpers import complete, snapshot, start, task_of

# A short budget keeps the runaway cases quick; the default is a second.
QUICK = Limits(cpu_seconds=0.3)
RUNAWAY_SCRIPTS = [
    ("while True:\n    pass", "超出运行时间上限（0.3 秒）"),
    ("for i in range(10**18):\n    pass", "超出运行时间上限"),
    ("total = sum(range(10**18))", "超出运行时间上限"),
    ("total = sum(x for x in range(10**18))", "超出运行时间上限"),
    ("total = 'x' in map(str, range(10**18))", "超出运行时间上限"),
    ("total = sorted(range(10**9))", "超出"),
    ("total = [*range(10**9)]", "超出"),
    ("total = {i: i for i in range(10**9)}", "超出"),
    ("try:\n    while True:\n        pass\nexcept:\n    pass\ntotal = 2", "超出运行时间上限"),
    ("def f(n):\n    return f(n + 1)\ntotal = f(0)", "函数调用层数超出上限（100 层）"),
    ("f = lambda n: f(n + 1)\ntotal = f(0)", "函数递归过深"),
    ("items = []\nwhile True:\n    items.append('x' * 10**6)", "超出内存上限（64 MB）"),
    ("items = [0]\nwhile True:\n    items = items + items", "超出"),
    ("n = 1000\ntotal = ((10**n) ** n) ** n", "整数超出上限"),
    ("n = 10**9\ntotal = 1 << n", "整数超出上限"),
    ("n = 10\ntotal = n ** n ** n", "整数超出上限"),
    ("total = int('9' * 10**6)", "数字文本过长"),
    ("n = 10**10\ntotal = 'a' * n", "单步运算量超出上限"),
    ("n = 10**10\ntotal = [0] * n", "单步运算量超出上限"),
    ("n = 10**10\ntotal = 'x'.ljust(n)", "超出内存上限"),
    ("total = '%1000000000d' % 1", "格式宽度或精度超出上限"),
    ("n = 10**9\ntotal = f'{1:>{n}}'", "格式宽度或精度超出上限"),
    ("x = [[[0] * 1000] * 1000] * 1000\ny = [[[0] * 1000] * 1000] * 1000\ntotal = x == y", "超出运行时间上限"),
    ("t = ()\nfor i in range(64):\n    t = (t, t)\ntotal = {t: 1}", "超出"),
    ("total = round(12345, -10**9)", "round 的位数超出上限"),
]


@pytest.fixture
def quick(platform):
    platform.engine.script_engine.limits = QUICK
    yield platform
    platform.engine.script_engine.limits = Limits()


@pytest.mark.parametrize("script, why", RUNAWAY_SCRIPTS)
def test_a_runaway_script_is_stopped_naming_the_element_and_nothing_is_written(quick, script, why):
    deploy(quick, scripted_xml(SCRIPT=script))
    out = start(quick, "office", "scripted", {})
    before = snapshot(quick)
    started = time.monotonic()
    with pytest.raises(ScriptLimitExceeded) as err:
        complete(quick, "office", task_of(out, "prepare"), {})
    assert time.monotonic() - started < 20  # stopped, not left to run (a generous bound)
    assert err.value.status == 422
    assert err.value.message.startswith("脚本任务 compute（计算）")
    assert why in err.value.message
    assert err.value.element_id == "compute"
    assert snapshot(quick) == before


def test_a_runaway_condition_fails_the_start_naming_the_gateway(quick):
    deploy(quick, scripted_xml(SCRIPT="total = 2", CONDITION="sum(range(10**18)) > 0"))
    out = start(quick, "office", "scripted", {})
    before = snapshot(quick)
    with pytest.raises(ScriptLimitExceeded) as err:
        complete(quick, "office", task_of(out, "prepare"), {})
    assert err.value.message == "排他网关 route 的条件超出运行时间上限（0.3 秒）"
    assert snapshot(quick) == before


def test_a_runaway_timer_expression_is_stopped_naming_the_timer(quick):
    timer = '"P5D" if sum(range(10**18)) else "P1D"'
    deploy(quick, scripted_xml(SCRIPT="total = 2", CONDITION="total == 3", TIMER=timer))
    out = start(quick, "office", "scripted", {})
    out = complete(quick, "office", task_of(out, "prepare"), {})
    before = snapshot(quick)
    with pytest.raises(ScriptLimitExceeded) as err:
        complete(quick, "office", task_of(out, "review"), {})
    assert err.value.message == "中间事件 wait（等待）的定时表达式超出运行时间上限（0.3 秒）"
    assert snapshot(quick) == before


@pytest.mark.parametrize("source", ["((10**1000)**1000)**1000", "10**10**10", "1 << 10**9", "'a' * 10**10",
                                    "[0] * 10**10", "9 ** 9 ** 9"])
@pytest.mark.parametrize("where", ["SCRIPT", "CONDITION"])
def test_constants_too_large_to_compute_are_refused_at_deploy(sqlite_platform, source, where):
    part = f"total = {source}" if where == "SCRIPT" else f"{source} == 2"
    with pytest.raises(InvalidDefinition) as err:
        deploy(sqlite_platform, scripted_xml(**{where: part}))
    assert [p.element_id for p in err.value.problems] == [{"SCRIPT": "compute", "CONDITION": "route"}[where]]
    assert "过大" in err.value.problems[0].message or "过长" in err.value.problems[0].message


def test_ordinary_script_errors_reach_users_in_chinese_naming_the_element(platform):
    deploy(platform, scripted_xml(SCRIPT="total = 1\nshare = total / 0"))
    out = start(platform, "office", "scripted", {})
    before = snapshot(platform)
    with pytest.raises(ScriptFailed) as err:
        complete(platform, "office", task_of(out, "prepare"), {})
    assert err.value.message == ("脚本任务 compute（计算）执行出错：除数为零"
                                 "（ZeroDivisionError: division by zero，第 2 行）")
    assert snapshot(platform) == before


@pytest.mark.parametrize("script, why", [
    ("total = 'x' * (2 * 1024 * 1024)", "留下的流程数据超出上限（1 MB）"),
    ("row = ['x' * 1000] * 1000\ntotal = [row] * 10", "留下的流程数据超出上限（1 MB）"),
    ("a = [0] * 1000\nb = [a] * 1000\ntotal = [b] * 1000", "留下的流程数据超出上限（1 MB）"),
    ("total = []\nfor i in range(200):\n    total = [total]", "嵌套过深"),
])
def test_a_script_cannot_leave_more_data_than_the_cap(platform, script, why):
    deploy(platform, scripted_xml(SCRIPT=script))
    out = start(platform, "office", "scripted", {})
    before = snapshot(platform)
    with pytest.raises(ScriptLimitExceeded) as err:
        complete(platform, "office", task_of(out, "prepare"), {})
    assert err.value.message == f"脚本任务 compute（计算）{why}" or why in err.value.message
    assert snapshot(platform) == before


def test_a_script_cannot_leave_values_that_cannot_be_saved(platform):
    deploy(platform, scripted_xml(SCRIPT="total = 2\npending = map(str, [1])"))
    out = start(platform, "office", "scripted", {})
    before = snapshot(platform)
    with pytest.raises(ScriptFailed) as err:
        complete(platform, "office", task_of(out, "prepare"), {})
    assert err.value.message == "脚本任务 compute（计算）留下的流程数据中含有无法保存的值（map）"
    assert snapshot(platform) == before


MANY_FIELDS = {"type": "object", "properties": {f"part{i}": {"type": "string"} for i in range(40)}}


@pytest.mark.parametrize("size", [2 * 1024 * 1024, 20 * 1024 * 1024])
def test_instance_data_is_capped_whoever_sends_it(platform, size):
    """Through a form (many fields, each within the form's own limit on one string) and straight to the engine."""
    deploy(platform, scripted_xml(), forms={"prepare": MANY_FIELDS, "review": MANY_FIELDS})
    out = start(platform, "office", "scripted", {})
    before = snapshot(platform)
    per_field = size // 40
    with pytest.raises(DataTooLarge) as err:
        complete(platform, "office", task_of(out, "prepare"), {f"part{i}": "x" * min(per_field, 49_000)
                                                                for i in range(40)})
    assert err.value.status == 422
    assert err.value.message.startswith("流程数据过大") and "1 MB" in err.value.message
    assert snapshot(platform) == before
    with pytest.raises(DataTooLarge), platform.db.transaction() as session:
        platform.engine.complete(session, task_of(out, "prepare"), "office", {"note": "x" * size})
    assert snapshot(platform) == before


def test_the_saved_state_is_capped_too():
    spec, subs = spec_of(scripted_xml())
    workflow = new_workflow(spec, subs, ENGINE)
    for i, task in enumerate(workflow.get_tasks()):
        task.data[f"part{i}"] = str(i) * (MAX_STATE_BYTES // 4)
    with pytest.raises(DataTooLarge) as err:
        CODEC.encode(workflow)
    assert "流程状态过大" in err.value.message


def test_check_source_leaves_running_to_the_budget():
    """Loops are legal Python; they are stopped when they run, not refused at deploy."""
    check_source("while True:\n    pass", "exec")
    check_source("sum(range(10**18)) > 0", "eval")


def api_client(platform):
    """A test client of the web app and the headers of the office user's API token."""
    client = create_app({"PLATFORM": platform, "SECRET_KEY": "limits", "TESTING": True}).test_client()
    with platform.db.transaction() as session:
        token = issue_token(session, "office", platform.clock())
    return client, {"Authorization": f"Bearer {token}"}


def test_the_server_answers_others_while_a_runaway_script_is_stopped(platform):
    platform.engine.script_engine.limits = Limits(cpu_seconds=2)
    deploy(platform, scripted_xml(SCRIPT="while True:\n    pass"))
    out = start(platform, "office", "scripted", {})
    client, headers = api_client(platform)
    assert client.get("/api/tasks", headers=headers).status_code == 200
    outcome = {}

    def runaway():
        try:
            complete(platform, "office", task_of(out, "prepare"), {})
        except ScriptLimitExceeded as err:
            outcome["error"] = err

    thread = threading.Thread(target=runaway)
    thread.start()
    answered = []
    try:
        while thread.is_alive():
            began = time.monotonic()
            response = client.get("/api/tasks", headers=headers)
            answered.append((response.status_code, time.monotonic() - began, thread.is_alive()))
    finally:
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert "超出运行时间上限（2 秒）" in outcome["error"].message
    during = [(status, took) for status, took, running in answered if running]
    # Answered while the script ran; the bound is generous, for a loaded machine, not a measurement.
    assert during, answered
    assert all(status == 200 and took < 2.0 for status, took in during), during


def test_over_the_api_a_runaway_script_is_a_422_naming_the_element(quick):
    deploy(quick, scripted_xml(SCRIPT="while True:\n    pass"))
    out = start(quick, "office", "scripted", {})
    client, headers = api_client(quick)
    before = snapshot(quick)
    response = client.post(f"/api/tasks/{task_of(out, 'prepare')}/complete", json={}, headers=headers)
    assert response.status_code == 422
    assert response.get_json() == {"error": "ScriptLimitExceeded",
                                   "message": "脚本任务 compute（计算）超出运行时间上限（0.3 秒）"}
    assert snapshot(quick) == before


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def clocked(request, tmp_path):
    clock = Clock()
    platform = make_platform(request.param, request, tmp_path, clock=clock)
    platform.engine.script_engine.limits = QUICK
    yield platform, clock
    platform.db.dispose()


def test_a_timer_job_whose_script_runs_away_fails_cleanly_with_the_element_on_the_job(clocked):
    platform, clock = clocked
    xml = (BPMN / "timed_script.bpmn").read_text("utf-8").replace("SCRIPT", "while True:\n    pass")
    deploy(platform, xml, key_forms=("review",))
    start(platform, "office", "timed_script", {})
    clock.now += timedelta(days=2)
    before = snapshot(platform)
    started = time.monotonic()
    assert make_worker(platform, worker_id="test").run_once() == 0
    assert time.monotonic() - started < 20  # the worker is free again, not held until killed
    with platform.db.reading() as session:
        job = session.scalars(select(DueJob)).one()
    assert (job.status, job.last_error) == (
        "pending", "脚本任务 compute（计算）超出运行时间上限（0.3 秒）")
    assert snapshot(platform) == before
