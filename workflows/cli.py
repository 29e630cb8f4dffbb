"""`ysflow`: the command line of the product. Every error is one line and a non-zero exit."""

import argparse
import json
import runpy
import sys
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from engine import EngineError, InvalidDefinition
from engine.clock import as_utc
from engine.parsing import parse_definition
from engine.queries import TaskFilter, count_open_tasks, open_tasks

from . import calendar_cli, cli_org
from .demo import DEMO_PASSWORD, build_demo
from .forms import load_shipped_forms
from .organisation import actor_for, require_user, username_for_login
from .platform import Platform, database_url
from .services import complete_task, start_process
from .tokens import issue_token


def _json_arg(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise SystemExit(f"错误：--data 不是有效的 JSON（{err.msg}，第 {err.pos + 1} 个字符）") from None
    if not isinstance(value, dict):
        raise SystemExit("错误：--data 必须是 JSON 对象")
    return value


def cmd_init_db(platform, args):
    platform.init_db()
    print(f"数据库已就绪：{platform.db.sa_engine.url.render_as_string(hide_password=True)}")


def cmd_demo(platform, args):
    created = build_demo(platform)
    if not created:
        print("演示数据已存在，未重复创建。")
    else:
        print(f"演示数据已创建。所有演示账号的密码均为 {DEMO_PASSWORD}：")
        for person in created:
            print(f"  {person['username']:<28} {person['name']}  ({', '.join(person['roles'])})")


def _read_file(path: Path) -> bytes:
    """The file's bytes. Raises SystemExit with one line when it is missing or unreadable."""
    if not path.exists():
        raise SystemExit(f"错误：文件 {path} 不存在")
    if not path.is_file():
        raise SystemExit(f"错误：{path} 不是文件")
    try:
        return path.read_bytes()
    except OSError as err:
        raise SystemExit(f"错误：无法读取文件 {path}（{err.strerror or '读取失败'}）") from None


def _forms_of(key: str, forms_dir: Path) -> dict:
    """The forms of process `key` under `forms_dir`. Raises SystemExit with one line when one is unreadable."""
    try:
        return load_shipped_forms(key, forms_dir)
    except (OSError, UnicodeDecodeError):
        raise SystemExit(f"错误：无法读取表单目录 {forms_dir / key} 中的文件") from None
    except json.JSONDecodeError as err:
        where = f"第 {err.lineno} 行第 {err.colno} 列"
        raise SystemExit(f"错误：{forms_dir / key} 中有表单文件不是有效的 JSON（{where}）") from None


def cmd_deploy(platform, args):
    path = Path(args.file)
    xml = _read_file(path)
    key = parse_definition(xml).key
    forms_dir = Path(args.forms) if args.forms else path.parent / "forms"
    with platform.db.transaction() as session:
        deployed = platform.engine.deploy(session, xml, forms=_forms_of(key, forms_dir), deployed_by=args.as_user)
    print(f"已部署 {deployed.key} 第 {deployed.version} 版（定义 #{deployed.id}）")


def cmd_start(platform, args):
    with platform.db.transaction() as session:
        out = start_process(platform, session, username_for_login(session, args.as_user), args.process,
                            _json_arg(args.data))
    print(json.dumps({"instance_id": out.instance_id, "version": out.version, "status": out.status,
                      "tasks": [{"id": t.id, "step": t.name} for t in out.new_tasks]}, ensure_ascii=False))


def cmd_tasks(platform, args):
    with platform.db.reading() as session:
        user = require_user(session, username_for_login(session, args.as_user))
        actor = actor_for(session, user)
        flt = TaskFilter(process_key=args.process, limit=args.limit)
        rows, total = open_tasks(session, actor, flt), count_open_tasks(session, actor, flt)
    if args.json:
        print(json.dumps([{
            "id": t.id, "instance_id": t.instance_id, "process": t.process_key, "step": t.name,
            "element_id": t.element_id, "title": t.title, "assignee": t.assignee,
            "due_at": as_utc(t.due_at).isoformat() if t.due_at else None,
        } for t in rows], ensure_ascii=False, indent=2))
        return
    print(f"{args.as_user} 的待办（共 {total} 项）")
    for t in rows:
        due = t.due_at.strftime("%Y-%m-%d") if t.due_at else "-"
        print(f"  #{t.id:<6} {t.process_key:<16} {t.name:<8} 期限 {due:<10} {t.title or ''}")


def cmd_complete(platform, args):
    with platform.db.transaction() as session:
        out = complete_task(platform, session, username_for_login(session, args.as_user), args.task_id,
                            _json_arg(args.data), expected_version=args.version)
    print(json.dumps({"instance_id": out.instance_id, "version": out.version, "status": out.status,
                      "end_event": out.end_event,
                      "tasks": [{"id": t.id, "step": t.name} for t in out.new_tasks]}, ensure_ascii=False))


def cmd_token(platform, args):
    with platform.db.transaction() as session:
        token = issue_token(session, username_for_login(session, args.user), platform.clock())
    print(token)


def cmd_worker(platform, args):
    import signal
    import threading

    from engine.worker import DEFAULT_POLL

    from .deadlines import make_worker

    worker = make_worker(platform, args.worker_id, batch=args.batch, lease_seconds=args.lease)
    if args.once:
        fired = worker.run_once()
        print(f"定时任务执行器 {worker.worker_id}：本轮执行 {fired} 项")
        return
    poll = DEFAULT_POLL if args.poll is None else args.poll
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"定时任务执行器 {worker.worker_id} 已启动（轮询间隔 {poll} 秒）", flush=True)
    try:
        tally = worker.run(poll=poll, stop=stop, idle_exit=args.idle_exit)
    except KeyboardInterrupt:
        tally = worker.tally
    print(f"定时任务执行器 {worker.worker_id} 已停止：执行 {tally.fired} 项，失败 {tally.failed} 项")


def cmd_bench(platform, args):
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "engine_throughput.py"
    if not script.is_file():
        raise SystemExit("错误：基准脚本只在源码目录中提供（benchmarks/engine_throughput.py）")
    sys.argv = [str(script), "--instances", str(args.instances), "--rounds", str(args.rounds),
                "--inbox-rows", str(args.inbox_rows)]
    runpy.run_path(str(script), run_name="__main__")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ysflow", description="营商通办：优化营商环境工作流平台")
    parser.add_argument("--database-url", help="数据库地址（默认读取 DATABASE_URL，未设置时用内置 SQLite）")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="创建或升级数据库结构，载入组织机构，部署内置流程").set_defaults(func=cmd_init_db)
    sub.add_parser("demo", help="建立演示数据库并打印演示账号").set_defaults(func=cmd_demo)
    p = sub.add_parser("deploy", help="部署 BPMN 文件为新版本")
    p.add_argument("file")
    p.add_argument("--forms", help="表单目录（默认：文件旁的 forms/<流程标识>/）")
    p.add_argument("--as", dest="as_user", default="admin")
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("start", help="发起流程")
    p.add_argument("process")
    p.add_argument("--as", dest="as_user", required=True)
    p.add_argument("--data", default="{}")
    p.set_defaults(func=cmd_start)
    p = sub.add_parser("tasks", help="列出待办")
    p.add_argument("--as", dest="as_user", required=True)
    p.add_argument("--process")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("complete", help="办理任务")
    p.add_argument("task_id")
    p.add_argument("--as", dest="as_user", required=True)
    p.add_argument("--data", default="{}")
    p.add_argument("--version", type=int, help="按此实例版本办理；版本已变化则拒绝")
    p.set_defaults(func=cmd_complete)
    p = sub.add_parser("token", help="为用户签发 API 令牌")
    p.add_argument("user")
    p.set_defaults(func=cmd_token)
    cli_org.add_parsers(sub)
    p = sub.add_parser("worker", help="运行定时任务执行器（BPMN 定时器、提醒、邮件）")
    p.add_argument("--once", action="store_true", help="只领取并执行一批到期任务后退出")
    p.add_argument("--poll", type=float, default=None, help="空闲时的轮询间隔（秒，默认 0.5）")
    p.add_argument("--batch", type=int, default=50, help="每次领取的任务数")
    p.add_argument("--worker-id", help="执行器标识（默认：主机名:进程号）")
    p.add_argument("--lease", type=float, default=60, help="租约时长（秒）；执行器崩溃后，租约到期由其他执行器接手")
    p.add_argument("--idle-exit", type=float, default=None, help="连续空闲该秒数后退出（默认一直运行）")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("bench", help="运行引擎吞吐量基准")
    p.add_argument("--instances", type=int, default=200, help="每种方式每轮的实例数")
    p.add_argument("--rounds", type=int, default=5, help="每个数据库与内存基线轮流运行的轮数")
    p.add_argument("--inbox-rows", type=int, default=100_000)
    p.set_defaults(func=cmd_bench)
    calendar_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    platform = None
    try:
        platform = Platform(args.database_url or database_url())
        if args.command not in ("init-db", "demo", "bench"):
            from engine.schema import upgrade

            upgrade(platform.db)
        args.func(platform, args)
    except InvalidDefinition as err:
        for problem in err.problems:  # one line each, whatever the file's names hold
            print("错误：" + " ".join(str(problem).split()), file=sys.stderr)
        return 1
    except EngineError as err:
        print(f"错误：{err.message}", file=sys.stderr)
        return 1
    except OperationalError as err:
        print(f"错误：无法访问数据库（{str(err.orig).strip().splitlines()[0]}）", file=sys.stderr)
        return 1
    except CommandError as err:
        print(f"错误：数据库结构无法升级（{err}）", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        print(f"错误：数据库操作失败（{type(err).__name__}）", file=sys.stderr)
        return 1
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130
    finally:
        if platform is not None:
            platform.db.dispose()  # closes SQLite's last connection, folding its write-ahead log back in
    return 0


if __name__ == "__main__":
    sys.exit(main())
