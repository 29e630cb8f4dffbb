"""What the organisation pages share: who may open them, paging, filters and form values."""

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

from workflows.errors import BadRequest
from workflows.org_admin.access import may_administer

PAGE_SIZE = 20
MAX_PAGE = 100_000


def org_admin_required(view):
    """Let only people who may administer the organisation through; others get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not may_administer(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def page_args() -> tuple[int, int, int]:
    """The page number (from 1), and the limit and offset of its rows."""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    return page, PAGE_SIZE, (page - 1) * PAGE_SIZE


def active_arg() -> bool | None:
    """`?active=1` in use, `0` deactivated, anything else both."""
    return {"1": True, "0": False}.get(request.args.get("active", ""))


def text_arg(name: str) -> str | None:
    return (request.args.get(name) or "").strip()[:100] or None


def form_values(*lists: str) -> dict:
    """The posted form as the services read it; the fields in `lists` are multiple choices."""
    values = {k: v for k, v in request.form.items() if k != "csrf_token" and k not in lists}
    for name in lists:
        values[name] = request.form.getlist(name)
    return values


def posted_active() -> bool:
    """The 启用/停用 buttons' `active`: "1" or "0". Raises BadRequest for anything else (nothing is changed)."""
    value = request.form.get("active")
    if value not in ("1", "0"):
        raise BadRequest("状态须为 1（启用）或 0（停用）")
    return value == "1"
