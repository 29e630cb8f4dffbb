"""营商通办 web app: create_app builds it from settings, the platform and one blueprint per concern."""

from flask import Flask, redirect, url_for
from flask_babel import Babel
from flask_wtf import CSRFProtect

from . import auth, config, errors, filters, inbox, nav, platform

csrf = CSRFProtect()
babel = Babel()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. `test_config` overrides settings; its PLATFORM key supplies a ready platform."""
    app = Flask(__name__, instance_relative_config=True)
    config.load(app)
    if test_config:
        app.config.update({k: v for k, v in test_config.items() if k != "PLATFORM"})
    platform.init_app(app, (test_config or {}).get("PLATFORM"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "zh_CN")
    auth.init_app(app)
    nav.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    for blueprint in (inbox.bp,):
        app.register_blueprint(blueprint)

    @app.route("/")
    def index():
        """The front door is the inbox."""
        return redirect(url_for("inbox.todo"))

    return app
