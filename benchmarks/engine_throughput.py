"""Engine throughput against SpiffWorkflow in memory, and the inbox query with 100 000 instances.

Runs the rectification flow (open → 整改 → 核查 通过) three ways in one process:
  1. SpiffWorkflow in memory, no persistence — the floor;
  2. the engine on SQLite (a file in a temporary folder);
  3. the engine on PostgreSQL (a schema of its own, dropped afterwards).
Each database takes turns with the floor over several rounds, and each ratio is the median of
the rounds' own ratios: a pause of the machine or a garbage collection then moves one round, not
the result. SQLite's rounds all run before PostgreSQL's, because the server goes on working after
a round (its WAL writer, checkpoints, autovacuum) and on a small machine that work would be timed
as SQLite's.
The engine finds automatic tasks without SpiffWorkflow's tree walks (engine/stepping.py), so part
of its ratio is faster stepping, not cheaper saving. The SQLite rounds therefore also time the floor
stepped as the engine steps, and ratio_sqlite_stepped compares with that: what saving costs alone.
Then loads 100 000 instances with open tasks into each database and times one unit user's inbox
(first page plus total count). The last line is machine-readable:
  ratio_sqlite=… ratio_pg=… inbox_ms_p95=… inbox_sqlite_ms_p95=… ratio_sqlite_stepped=…
Targets: ratio_sqlite ≥ 0.5; inbox_ms_p95 < 20.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import queries  # noqa: E402
from engine.clock import utcnow  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.stepping import do_engine_steps  # noqa: E402
from workflows.platform import Platform  # noqa: E402

PG_SERVER = os.environ.get("YSFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "ysflow_bench"
CASE = {"source": "inspection", "description": "窗口未落实无差别受理", "responsible_unit": "gov_data",
        "deadline_days": 5}
START: dict = {}  # the data the product's start hook computes (deadlines etc.), filled by main()
RECTIFIED = {"measures": "已落实", "evidence": "排班表", "report": "整改完成"}


def _engine_steps(workflow) -> None:
    do_engine_steps(workflow, lambda task: None)


def in_memory(n: int, steps=BpmnWorkflow.do_engine_steps) -> float:
    """Instances per second of the same flow in SpiffWorkflow alone, stepped by `steps`."""
    parser = BpmnParser()
    parser.add_bpmn_file(str(ROOT / "bpmn" / "rectification.bpmn"))
    spec = parser.get_spec("rectification")
    started = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(spec)
        workflow.task_tree.data.update(START)
        steps(workflow)
        for element, data in (("rectify", RECTIFIED), ("verify", {"decision": "pass"})):
            task = next(t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.name == element)
            task.data.update(data)
            task.run()
            steps(workflow)
        assert workflow.is_completed()
    return n / (time.perf_counter() - started)


def persisted(platform: Platform, n: int) -> float:
    """Instances per second through the engine: every step one committed transaction."""
    engine = platform.engine
    started = time.perf_counter()
    for _ in range(n):
        with platform.db.transaction() as session:
            out = engine.start(session, "rectification", START, "inspector")
        for element, actor, data in (("rectify", "unit", RECTIFIED), ("verify", "inspector", {"decision": "pass"})):
            task_id = next(t.id for t in out.new_tasks if t.element_id == element)
            with platform.db.transaction() as session:
                out = engine.complete(session, task_id, actor, data)
        assert out.status == "completed"
    return n / (time.perf_counter() - started)


def in_turn(platform: Platform, n: int, rounds: int, stepped: bool = False) -> list[tuple]:
    """(floor, engine, floor stepped as the engine steps or None) instances per second, in turn, each round."""
    return [(in_memory(n), persisted(platform, n), in_memory(n, _engine_steps) if stepped else None)
            for _ in range(rounds)]


def load_inbox(platform: Platform, rows: int) -> None:
    """Add `rows` running instances, each with one open task spread over units, groups and roles."""
    with platform.db.transaction() as session:
        out = platform.engine.start(session, "rectification", START, "inspector")
        template = session.get(ProcessInstance, out.instance_id)
        state, definition_id = template.state, template.definition_id
        units = [u for (u,) in session.execute(text("SELECT code FROM unit ORDER BY code"))]
    now, batch = utcnow(), 5000
    roles = ["office", "legality_reviewer", "competition_reviewer", "group_leader"]
    with platform.db.transaction() as session:
        first = (session.scalar(select(ProcessInstance.id).order_by(ProcessInstance.id.desc()).limit(1)) or 0) + 1
        for offset in range(0, rows, batch):
            ids = range(first + offset, first + min(offset + batch, rows))
            session.execute(insert(ProcessInstance), [
                {"id": i, "definition_id": definition_id, "process_key": "rectification", "status": "running",
                 "version": 1, "state": state, "data": {}, "started_by": "inspector", "started_at": now,
                 "updated_at": now} for i in ids])
            session.execute(insert(HumanTask), [
                {"instance_id": i, "process_key": "rectification", "task_guid": f"bench-{i}",
                 "element_id": "rectify", "name": "整改", "lane": "responsible_unit", "title": f"督-{i}",
                 "candidate_unit": units[i % len(units)] if i % 5 else None,
                 "candidate_role": None if i % 5 else roles[i % len(roles)],
                 "candidate_group": "start_business" if i % 5 == 0 and i % 20 == 0 else None,
                 "status": "open" if i % 3 else "completed", "due_at": now, "created_at": now} for i in ids])
    if platform.db.is_postgres:
        # What autovacuum does to a table of this size soon after a bulk load: statistics, and the
        # visibility map that lets the inbox's indexes answer without visiting the table.
        with platform.db.sa_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE human_task"))
            conn.execute(text("ANALYZE"))
    else:
        with platform.db.sa_engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")


def inbox_p95(platform: Platform, runs: int = 200) -> float:
    """95th percentile, in ms, of one unit user's inbox: first page and total count."""
    actor = queries.Actor("unit", units=("gov_data",), roles=("unit_staff",))
    timings = []
    for run in range(runs + 20):  # the first 20 warm the pool and the caches and are not counted
        started = time.perf_counter()
        with platform.db.reading() as session:
            queries.open_tasks(session, actor, queries.TaskFilter(limit=20))
            queries.count_open_tasks(session, actor)
        if run >= 20:
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(timings, n=20)[18]


def pg_platform() -> Platform:
    admin = Platform(PG_SERVER)
    with admin.db.sa_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    admin.db.dispose()
    platform = Platform(f"{PG_SERVER}?options=-csearch_path%3D{PG_SCHEMA}")
    platform.init_db()
    return platform


def drop_pg_schema() -> None:
    admin = Platform(PG_SERVER)
    with admin.db.sa_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    admin.db.dispose()


def start_data(platform: Platform) -> dict:
    """What an instance starts with when an inspector opens a case through the product."""
    from workflows.demo import _ensure_users
    from workflows.services import start_process

    with platform.db.transaction() as session:
        _ensure_users(session)
        return dict(start_process(platform, session, "inspector", "rectification", dict(CASE)).data)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200, help="instances per way and round (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each database with the floor (default 5)")
    parser.add_argument("--inbox-rows", type=int, default=100_000, help="instances loaded for the inbox query")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        sqlite = Platform(f"sqlite:///{folder}/bench.sqlite3")
        sqlite.init_db()
        pg = pg_platform()
        try:
            START.update(start_data(sqlite))
            in_memory(20), in_memory(20, _engine_steps), persisted(sqlite, 5), persisted(pg, 5)  # warm up
            with_sqlite = in_turn(sqlite, args.instances, args.rounds, stepped=True)
            with_pg = in_turn(pg, args.instances, args.rounds)
            floor = statistics.median(f for f, _e, _s in with_sqlite + with_pg)
            stepped = statistics.median(s for _f, _e, s in with_sqlite)
            on_sqlite, on_pg = (statistics.median(e for _f, e, _s in way) for way in (with_sqlite, with_pg))
            ratio_sqlite, ratio_pg = (statistics.median(e / f for f, e, _s in way) for way in (with_sqlite, with_pg))
            ratio_stepped = statistics.median(e / s for _f, e, s in with_sqlite)
            print(f"in memory : {floor:8.1f} instances/s (floor)")
            print(f"  stepped as the engine steps: {stepped:8.1f} instances/s")
            print(f"SQLite    : {on_sqlite:8.1f} instances/s  ratio {ratio_sqlite:.2f} "
                  f"({ratio_stepped:.2f} against the floor stepped as the engine steps)")
            print(f"PostgreSQL: {on_pg:8.1f} instances/s  ratio {ratio_pg:.2f}")
            load_inbox(sqlite, args.inbox_rows)
            load_inbox(pg, args.inbox_rows)
            inbox_sqlite, inbox_pg = inbox_p95(sqlite), inbox_p95(pg)
            print(f"inbox p95 with {args.inbox_rows} instances: "
                  f"PostgreSQL {inbox_pg:.2f} ms, SQLite {inbox_sqlite:.2f} ms")
            print(f"ratio_sqlite={ratio_sqlite:.2f} ratio_pg={ratio_pg:.2f} "
                  f"inbox_ms_p95={inbox_pg:.1f} inbox_sqlite_ms_p95={inbox_sqlite:.1f} "
                  f"ratio_sqlite_stepped={ratio_stepped:.2f}")
        finally:
            sqlite.db.dispose()
            pg.db.dispose()
            drop_pg_schema()


if __name__ == "__main__":
    main()
