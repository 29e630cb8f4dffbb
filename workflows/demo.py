"""The demo database: the seeds' organisation, a login for every role and cases in every state."""

from datetime import timedelta

from sqlalchemy import select

from . import seed_data
from .models import Group, User
from .organisation import create_user, user_by_name
from .platform import Platform
from .services import complete_task, start_process

DEMO_PASSWORD = "demo12345"


def _ensure_users(session) -> list[dict]:
    created = []
    for person in seed_data.DEMO_USERS:
        if user_by_name(session, person["username"]) is None:
            create_user(session, person["username"], person["name"], person["unit"], DEMO_PASSWORD,
                        person["roles"], person.get("groups", []))
            created.append(person)
    # The seeds' groups are led by the demo's leaders (a group an office changed keeps its own).
    for group in seed_data.GROUPS:
        row = session.get(Group, group["code"])
        if row is not None and row.leader is None and user_by_name(session, group["leader"]["username"]):
            row.leader = group["leader"]["username"]
    # Each sample measure is drafted by staff of its group's lead unit.
    for sample in seed_data.SAMPLE_MEASURES:
        lead_unit = session.get(Group, sample["group"]).lead_unit
        username = f"drafter_{lead_unit}"
        has_drafter = session.scalars(select(User).where(User.unit_code == lead_unit)).first()
        if user_by_name(session, username) is None and not (has_drafter and _is_drafter(has_drafter)):
            create_user(session, username, f"{lead_unit}起草人", lead_unit, DEMO_PASSWORD, ["drafter", "unit_staff"])
    return created


def _is_drafter(user: User) -> bool:
    return any(r.role == "drafter" for r in user.roles)


def _drafter_for(session, group_code: str) -> str:
    lead_unit = session.get(Group, group_code).lead_unit
    for user in session.scalars(select(User).where(User.unit_code == lead_unit).order_by(User.id)):
        if _is_drafter(user):
            return user.username
    raise LookupError(lead_unit)


def _leader_for(session, group_code: str) -> str:
    return session.get(Group, group_code).leader


def _open_task(outcome, element_id):
    return next(t.id for t in outcome.new_tasks if t.element_id == element_id)


def _measures(platform: Platform, session) -> int:
    """Measures at every step: awaiting approval, returned, rejected, in review, filed."""
    plan = ["pending", "returned", "rejected", "filed", "review", "filed", "pending", "filed"]
    for n, (sample, fate) in enumerate(zip(seed_data.SAMPLE_MEASURES, plan, strict=False), start=1):
        kind = sample["kind"] if fate != "review" else "normative"
        if fate == "filed" and n == 6:
            kind = "normative"
        data = {"title": sample["title"], "content": sample["content"], "group_code": sample["group"],
                "basis": sample["basis"], "kind": kind}
        drafter, leader = _drafter_for(session, sample["group"]), _leader_for(session, sample["group"])
        out = start_process(platform, session, drafter, "policy_measure", data)
        if fate == "pending":
            continue
        decision = {"returned": "return", "rejected": "reject"}.get(fate, "approve")
        opinion = {"return": "请补充举措的量化目标和完成时限。", "reject": "与现行上级政策重复，不予采纳。"}
        out = complete_task(platform, session, leader, _open_task(out, "leader_approve"),
                            {"decision": decision, "opinion": opinion.get(decision, "同意报批。")})
        if fate in ("returned", "rejected"):
            continue
        if kind == "normative":
            reviews = {t.element_id: t.id for t in out.new_tasks}
            complete_task(platform, session, "justice", reviews["legality_review"],
                          {"legality_result": "pass", "opinion": "经审核，符合法律法规规定。"})
            if fate == "review":
                continue
            out = complete_task(platform, session, "amr_reviewer", reviews["competition_review"],
                                {"competition_result": "pass", "opinion": "未发现排除、限制竞争的内容。"})
        complete_task(platform, session, "office", _open_task(out, "office_file"),
                      {"doc_number": f"营商办〔{platform.today().year}〕{n}号",
                       "filed_on": platform.today().isoformat()})
    return len(plan)


def _cases(platform: Platform, session) -> int:
    """Cases rectifying, overdue, awaiting verification, sent back once, and closed."""
    plan = ["rectifying", "overdue", "verifying", "failed_once", "closed", "rectifying", "closed", "verifying"]
    for sample, fate in zip(seed_data.SAMPLE_CASES, plan, strict=False):
        data = {"source": sample["source"], "description": sample["description"], "indicator": sample["group"],
                "responsible_unit": sample["unit"], "deadline_days": sample["deadline_days"]}
        # An overdue case is one opened long enough ago; open it with the clock turned back.
        opener = platform
        if fate == "overdue":
            back = timedelta(days=sample["deadline_days"] * 2 + 10)
            opener = platform.at(lambda back=back: platform.clock() - back)
        out = start_process(opener, session, "inspector", "rectification", data)
        if fate in ("rectifying", "overdue"):
            continue
        staff = _unit_user(session, sample["unit"])
        report = {"measures": "已完成系统对接，实现数据共享。", "evidence": "系统对接验收单；数据共享记录截图",
                  "report": "已按要求完成整改，具体情况见佐证材料。"}
        out = complete_task(platform, session, staff, _open_task(out, "rectify"), report)
        if fate == "verifying":
            continue
        if fate == "failed_once":
            complete_task(platform, session, "inspector", _open_task(out, "verify"),
                          {"decision": "fail", "opinion": "佐证材料不充分，请补充办理时限统计。", "deadline_days": 5})
            continue
        complete_task(platform, session, "inspector", _open_task(out, "verify"),
                      {"decision": "pass", "opinion": "经现场核查，整改到位，予以销号。"})
    return len(plan)


def _unit_user(session, unit_code: str) -> str:
    user = session.scalars(select(User).where(User.unit_code == unit_code).order_by(User.id)).first()
    if user is not None:
        return user.username
    username = f"staff_{unit_code}"
    create_user(session, username, f"{unit_code}工作人员", unit_code, DEMO_PASSWORD, ["unit_staff"])
    return username


def build_demo(platform: Platform) -> list[dict]:
    """Create the demo organisation, users and sample cases; return the logins that were created.

    Running it again adds nothing when the demo users exist already.
    """
    platform.init_db()
    with platform.db.transaction() as session:
        created = _ensure_users(session)
        if not created:
            return []
        _measures(platform, session)
        _cases(platform, session)
    return created
