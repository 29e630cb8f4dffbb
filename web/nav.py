"""The navigation bar: items by role, and the count of open tasks beside 待办."""

from flask_login import current_user

from engine.queries import Actor, count_open_tasks
from workflows.notifications import unread_count
from workflows.org_admin.access import ORG_ADMIN_ROLES

from .platform import get_platform

# (endpoint, label, roles that see it; None = everyone logged in)
ITEMS: list[tuple[str, str, tuple[str, ...] | None]] = [
    ("inbox.todo", "待办", None),
    ("inbox.done", "已办", None),
    ("inbox.started", "我发起的", None),
    ("start.policy_measure", "起草举措", ("drafter",)),
    ("start.rectification", "登记问题", ("inspector",)),
    ("library.index", "政策库", None),
    ("ledger.index", "整改台账", None),
    ("admin.index", "流程管理", ("admin",)),
    ("incidents.index", "异常任务", ("admin",)),
    ("calendar.index", "工作日历", None),
    ("org_units.index", "组织机构", ORG_ADMIN_ROLES),
    ("notifications.index", "通知", None),
]


def actor_of(user) -> Actor:
    """The inbox view of the logged-in person."""
    return Actor(user=user.username, units=(user.unit_code,), groups=user.led_groups,
                 roles=tuple(sorted(user.roles)))


def visible_items(user) -> list[tuple[str, str]]:
    return [(endpoint, label) for endpoint, label, roles in ITEMS
            if roles is None or user.has_role(*roles)]


def init_app(app) -> None:
    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {"nav_items": [], "open_task_count": 0, "unread_notification_count": 0}
        with get_platform().db.reading() as session:
            count = count_open_tasks(session, actor_of(current_user))
            unread = unread_count(session, current_user.username)
        return {"nav_items": visible_items(current_user), "open_task_count": count,
                "unread_notification_count": unread}
