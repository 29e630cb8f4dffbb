"""`ysflow org …` and `ysflow user …`: the organisation on the command line.

People are named by their login. The command line acts as the system (it has the server's
database in hand already); every change is one transaction, every error one line.
"""

import json
from pathlib import Path

from .org_admin import leaving, people, workbook, workbook_import
from .org_admin.edits import OrgInvalid
from .org_admin.handover import POOL
from .organisation import ROLE_LABELS, SYSTEM, user_by_login


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as err:
        raise SystemExit(f"错误：无法写入文件 {path}（{err.strerror or '写入失败'}）") from None


def cmd_org_export(platform, args):
    with platform.db.reading() as session:
        data = workbook.export_workbook(session)
    _write(Path(args.file), data)
    print(f"已导出组织机构到 {args.file}")


def cmd_org_template(platform, args):
    _write(Path(args.file), workbook.template_workbook())
    print(f"已生成空白模板 {args.file}")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SystemExit(f"错误：文件 {path} 不存在") from None
    except OSError as err:
        raise SystemExit(f"错误：无法读取文件 {path}（{err.strerror or '读取失败'}）") from None


def cmd_org_import(platform, args):
    data = _read(Path(args.file))
    if args.dry_run:
        with platform.db.reading() as session:
            plan = workbook_import.plan_import(session, SYSTEM, data)
        if plan.errors:
            raise workbook_import.ImportRefused(plan.errors)
    else:
        with platform.db.transaction() as session:
            plan = workbook_import.run_import(platform, session, SYSTEM, data)
    n = plan.counts
    verb = "预览（未写入）" if args.dry_run else "已导入"
    print(f"{verb}：新增 {n['added']} 条，修改 {n['changed']} 条，停用 {n['deactivated']} 条，"
          f"交接待办 {n['handovers']} 项")
    for title, rows in (("新增", plan.added), ("修改", plan.changed), ("停用", plan.deactivated)):
        for c in rows:
            what = "；".join(f"{label} {old or '（空）'} → {new or '（空）'}" for label, old, new in c.fields)
            print(f"  {title} {c.sheet} {c.key} {c.name}" + (f"：{what}" if what and title == "修改" else ""))


def _username(session, login: str) -> str:
    user = user_by_login(session, login)
    if user is None:
        raise OrgInvalid({"login": f"账号 {login} 不存在"}, {"login": "账号"})
    return user.username


def _raw(args, *names: str) -> dict:
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def cmd_user_add(platform, args):
    raw = {"login": args.login, "name": args.name, "unit": args.unit, **_raw(args, "phone", "email", "password"),
           "roles": args.roles or "", "member_of": args.groups or ""}
    with platform.db.transaction() as session:
        spec = people.create_person(platform, session, SYSTEM, raw)
    note = "" if args.password else "（尚未设置密码，用 ysflow user edit 账号 --password 设置后才能登录）"
    print(f"已添加人员 {spec.name}，账号 {spec.login}{note}")


def cmd_user_edit(platform, args):
    raw = _raw(args, "name", "phone", "email")
    if args.roles is not None:
        raw["roles"] = args.roles
    if args.groups is not None:
        raw["member_of"] = args.groups
    with platform.db.transaction() as session:
        username = _username(session, args.login)
        if raw:
            people.update_person(platform, session, SYSTEM, username, raw)
        if args.password is not None:
            people.set_password(platform, session, SYSTEM, username, args.password)
    print(f"已保存人员 {args.login}")


def cmd_user_rename(platform, args):
    with platform.db.transaction() as session:
        spec = people.rename_person(platform, session, SYSTEM, _username(session, args.old), args.new)
    print(f"已将账号 {args.old} 改为 {spec.login}；原账号及其 API 令牌已失效")


def _plan(session, to: str | None) -> leaving.Plan:
    return leaving.Plan(default=_username(session, to) if to else POOL)


def cmd_user_deactivate(platform, args):
    with platform.db.transaction() as session:
        done = leaving.deactivate_person(platform, session, SYSTEM, _username(session, args.login),
                                         _plan(session, args.to))
    target = f"转交 {args.to}" if args.to else "退回待签收"
    print(f"已停用 {args.login}，{len(done)} 项待办{target}")


def cmd_user_move(platform, args):
    with platform.db.transaction() as session:
        plan = _plan(session, args.to) if args.to else None
        done = leaving.move_person(platform, session, SYSTEM, _username(session, args.login), args.unit, plan)
    print(f"已将 {args.login} 调至 {args.unit}，交接待办 {len(done)} 项")


def cmd_user_activate(platform, args):
    with platform.db.transaction() as session:
        people.activate_person(platform, session, SYSTEM, _username(session, args.login))
    print(f"已启用 {args.login}")


def cmd_user_delete(platform, args):
    with platform.db.transaction() as session:
        people.delete_person(platform, session, SYSTEM, _username(session, args.login))
    print(f"已删除 {args.login}")


def cmd_user_list(platform, args):
    with platform.db.reading() as session:
        rows, total = people.list_people(session, people.PersonFilter(q=args.q, unit=args.unit, limit=args.limit))
        found = [people.person_json(p) for p in rows]
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return
    print(f"共 {total} 人")
    for p in found:
        state = "" if p["active"] else "（已停用）"
        roles = "、".join(ROLE_LABELS.get(r, r) for r in p["roles"])
        print(f"  {p['login']:<24} {p['name']:<8} {p['unit']:<20} {roles}{state}")


def add_parsers(sub) -> None:
    org = sub.add_parser("org", help="组织机构工作簿：导出、模板、导入")
    org = org.add_subparsers(dest="org_command", required=True)
    p = org.add_parser("export", help="导出整个组织机构为 Excel 工作簿")
    p.add_argument("file")
    p.set_defaults(func=cmd_org_export)
    p = org.add_parser("template", help="生成空白模板工作簿")
    p.add_argument("file")
    p.set_defaults(func=cmd_org_template)
    p = org.add_parser("import", help="导入组织机构工作簿（整本校验，一次写入）")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="只预览将发生的变化和错误，不写入")
    p.set_defaults(func=cmd_org_import)

    user = sub.add_parser("user", help="人员：新增、修改、改名、停用、调动、启用、删除、列表")
    users = user.add_subparsers(dest="user_command", required=True)
    p = users.add_parser("add", help="新增人员")
    p.add_argument("login")
    p.add_argument("--name", required=True)
    p.add_argument("--unit", required=True, help="单位编码")
    p.add_argument("--roles", help="角色，逗号或顿号分隔（代码或中文名）")
    p.add_argument("--groups", help="以成员身份参加的工作组编码，逗号分隔")
    p.add_argument("--phone")
    p.add_argument("--email")
    p.add_argument("--password", help="初始密码（至少 8 位）；不填则暂不能登录")
    p.set_defaults(func=cmd_user_add)
    p = users.add_parser("edit", help="修改姓名、电话、邮箱、角色、工作组或密码")
    p.add_argument("login")
    for name in ("name", "phone", "email", "roles", "groups", "password"):
        p.add_argument(f"--{name}")
    p.set_defaults(func=cmd_user_edit)
    p = users.add_parser("rename", help="修改账号（原账号及其 API 令牌立即失效）")
    p.add_argument("old")
    p.add_argument("new")
    p.set_defaults(func=cmd_user_rename)
    p = users.add_parser("deactivate", help="停用人员，其待办退回待签收或转交他人")
    p.add_argument("login")
    p.add_argument("--to", help="把全部待办转交给此账号（默认退回待签收）")
    p.set_defaults(func=cmd_user_deactivate)
    p = users.add_parser("move", help="调动人员到另一单位")
    p.add_argument("login")
    p.add_argument("--unit", required=True, help="调入单位编码")
    p.add_argument("--to", help="把全部待办转交给此账号（默认：原单位待办退回待签收，指定本人的保留）")
    p.set_defaults(func=cmd_user_move)
    p = users.add_parser("activate", help="重新启用人员")
    p.add_argument("login")
    p.set_defaults(func=cmd_user_activate)
    p = users.add_parser("delete", help="删除从未办理过事项的人员（其他人员请停用）")
    p.add_argument("login")
    p.set_defaults(func=cmd_user_delete)
    p = users.add_parser("list", help="列出人员")
    p.add_argument("--q", help="按账号、姓名、电话、邮箱搜索")
    p.add_argument("--unit")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_list)
