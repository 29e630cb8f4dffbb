"""营商通办 web app: create_app builds it from settings, the platform and one blueprint per concern."""

from flask import Flask, has_request_context, redirect, request, session, url_for
from flask_babel import Babel
from flask_wtf import CSRFProtect

from . import (
    admin,
    api,
    api_calendar,
    api_definitions,
    api_org,
    api_task_operations,
    attachments,
    auth,
    calendar,
    config,
    deadlines,
    errors,
    filters,
    inbox,
    incidents,
    input_guard,
    instances,
    ledger,
    library,
    nav,
    notifications,
    org_admin,
    platform,
    start,
    task_operations,
    tasks,
)

csrf = CSRFProtect()
babel = Babel()
LANGUAGES = ("zh_CN", "en")


def select_locale() -> str:
    """`?lang=en` (or zh_CN) switches the language for the rest of the session; Chinese by default."""
    if not has_request_context():
        return "zh_CN"
    if request.args.get("lang") in LANGUAGES:
        session["lang"] = request.args["lang"]
    return session.get("lang", "zh_CN")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. `test_config` overrides settings; its PLATFORM key supplies a ready platform."""
    app = Flask(__name__, instance_relative_config=True)
    config.load(app)
    if test_config:
        app.config.update({k: v for k, v in test_config.items() if k != "PLATFORM"})
    platform.init_app(app, (test_config or {}).get("PLATFORM"))
    input_guard.init_app(app)  # before CSRF and the blueprints: it reads forms first and sets `int`
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    auth.init_app(app)
    nav.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    calendar.init_app(app)  # every request counts working days on the calendar the database has now
    for blueprint in (inbox.bp, library.bp, ledger.bp, api.bp, tasks.bp, start.bp, instances.bp, attachments.bp,
                      admin.bp, api_definitions.bp, notifications.bp, deadlines.bp, incidents.bp, incidents.api_bp,
                      calendar.bp, api_calendar.bp, api_org.bp, *org_admin.BLUEPRINTS, task_operations.bp,
                      api_task_operations.bp):
        app.register_blueprint(blueprint)
    deadlines.init_app(app)  # the in-process timer worker, when RUN_WORKER is set
    csrf.exempt(api.bp)  # the API authenticates by bearer token, not by cookie
    csrf.exempt(api_definitions.bp)
    csrf.exempt(incidents.api_bp)
    csrf.exempt(api_calendar.bp)
    csrf.exempt(api_org.bp)
    csrf.exempt(api_task_operations.bp)

    @app.route("/")
    def index():
        """The front door is the inbox."""
        return redirect(url_for("inbox.todo"))

    return app
