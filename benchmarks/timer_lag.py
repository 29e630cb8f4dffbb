"""Timer lag: how long after its due time a due job fires, over 10 000 timers on PostgreSQL.

Schedules `--timers` reminder jobs due evenly over the next `--spread` seconds (a few hundred of
them the ladder timers of real rectification cases), runs `--workers` `ysflow worker` processes
until everything fired, and reads each job's lag (fired_at − due_at) from the table. It does this
twice in one run: with the default poll interval, and as the baseline with no poll delay at all
(each worker leases again the moment a pass is done). The last line is machine-readable:
  timer_lag_p50_ms=… timer_lag_p95_ms=… timer_lag_p99_ms=… baseline_p99_ms=… ratio_p99=…
Target: timer_lag_p99_ms < 2000.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.models import DueJob  # noqa: E402
from engine.worker import DEFAULT_POLL  # noqa: E402
from workflows.demo import _ensure_users  # noqa: E402
from workflows.platform import Platform  # noqa: E402
from workflows.services import start_process  # noqa: E402

PG_SERVER = os.environ.get("YSFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "ysflow_bench_timers"
URL = f"{PG_SERVER}?options=-csearch_path%3D{PG_SCHEMA}"
CASE = {"source": "inspection", "description": "窗口未落实无差别受理", "responsible_unit": "gov_data",
        "deadline_days": 1}


def fresh_platform() -> Platform:
    platform = Platform(URL)
    with platform.db.sa_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    platform.init_db()
    with platform.db.transaction() as session:
        _ensure_users(session)
    return platform


def schedule(platform: Platform, timers: int, cases: int, spread: float, lead: float) -> None:
    """Real cases whose three ladder timers fall due inside the window, then cheap reminder jobs."""
    start = datetime.now(UTC) + timedelta(seconds=lead)
    opened = start - timedelta(days=30)  # a one-day deadline opened a month ago is due already
    past = platform.at(lambda: opened)
    with platform.db.transaction() as session:
        for _ in range(cases):
            start_process(past, session, "inspector", "rectification", dict(CASE))
        jobs = session.scalars(select(DueJob).where(DueJob.kind == "timer")).all()
        # Move each case's timers into the window together: the first to fire sets off its siblings,
        # which the workflow already holds as past due.
        for job in jobs:
            job.due_at = start + timedelta(seconds=spread * (job.instance_id - 1) / max(cases, 1))
        rest = timers - len(jobs)
        session.execute(insert(DueJob), [
            {"kind": "reminder", "due_at": start + timedelta(seconds=spread * n / max(rest, 1)),
             "status": "pending", "payload": {"recipients": [], "title": "bench"}, "attempts": 0}
            for n in range(rest)])


def run_workers(workers: int, poll: float, idle_exit: float) -> None:
    command = [sys.executable, "-m", "workflows.cli", "--database-url", URL, "worker", "--poll", str(poll),
               "--idle-exit", str(idle_exit), "--batch", "20"]
    procs = [subprocess.Popen([*command, "--worker-id", f"bench{n}"], cwd=ROOT, stdout=subprocess.DEVNULL)
             for n in range(workers)]
    for proc in procs:
        proc.wait()


def lags_ms(platform: Platform) -> list[float]:
    with platform.db.reading() as session:
        rows = session.execute(select(DueJob.due_at, DueJob.fired_at, DueJob.status)).all()
    missing = [r for r in rows if r.status != "fired"]
    if missing:
        raise SystemExit(f"{len(missing)} jobs did not fire")
    return [max(0.0, (fired - due).total_seconds() * 1000) for due, fired, _s in rows]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(args, poll: float, label: str) -> dict:
    platform = fresh_platform()
    schedule(platform, args.timers, args.cases, args.spread, lead=args.lead)
    began = time.monotonic()
    run_workers(args.workers, poll, idle_exit=args.lead + 3)
    lags = lags_ms(platform)
    platform.db.dispose()
    result = {"p50": percentile(lags, 50), "p95": percentile(lags, 95), "p99": percentile(lags, 99),
              "mean": statistics.fmean(lags), "seconds": time.monotonic() - began}
    print(f"{label:<28} p50 {result['p50']:8.1f} ms  p95 {result['p95']:8.1f} ms  p99 {result['p99']:8.1f} ms"
          f"  ({len(lags)} timers, {result['seconds']:.0f} s)", flush=True)
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=100, help="real cases (three BPMN timers each)")
    parser.add_argument("--spread", type=float, default=100.0, help="seconds over which the timers fall due")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--lead", type=float, default=8.0, help="seconds before the first timer is due")
    args = parser.parse_args(argv)
    print(f"{args.timers} timers due over {args.spread:.0f} s, {args.workers} worker processes, PostgreSQL")
    baseline = measure(args, 0.0, "baseline (no poll delay)")
    default = measure(args, DEFAULT_POLL, f"default poll ({DEFAULT_POLL} s)")
    ratio = default["p99"] / baseline["p99"] if baseline["p99"] else float("inf")
    print(f"timer_lag_p50_ms={default['p50']:.0f} timer_lag_p95_ms={default['p95']:.0f} "
          f"timer_lag_p99_ms={default['p99']:.0f} baseline_p99_ms={baseline['p99']:.0f} ratio_p99={ratio:.2f}")


if __name__ == "__main__":
    main()
