"""Logging in and out; who the current person is. Passwords are hashed, sessions are cookies."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from workflows.organisation import ROLE_LABELS, authenticate, user_by_name

from .platform import get_platform

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.login_message_category = "warning"


class WebUser(UserMixin):
    """The logged-in person, detached from the database session that loaded them."""

    def __init__(self, user):
        self.id = user.username
        self.username = user.username
        self.name = user.name
        self.unit_code = user.unit_code
        self.roles = frozenset(r.role for r in user.roles)
        self.led_groups = tuple(sorted({r.group_code for r in user.roles if r.group_code}))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS.get(r, r) for r in sorted(self.roles)]


@login_manager.user_loader
def load_user(username: str):
    with get_platform().db.reading() as session:
        user = user_by_name(session, username)
        return WebUser(user) if user is not None and user.active else None


def init_app(app) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("inbox.todo")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success go where the person was heading."""
    if current_user.is_authenticated:
        return redirect(url_for("inbox.todo"))
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        with get_platform().db.reading() as session:
            user = authenticate(session, username, request.form.get("password", ""))
            web_user = WebUser(user) if user else None
        if web_user is None:
            flash(_("用户名或密码错误"), "danger")
            return render_template("auth/login.html", username=username), 401
        login_user(web_user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("auth.login"))
