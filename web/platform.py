"""The product behind the web app: one Platform per app, built from DATABASE_URL."""

from flask import current_app

from workflows.platform import Platform


def init_app(app, platform: Platform | None = None) -> None:
    """Attach `platform` (tests pass one) or build one from the app's DATABASE_URL."""
    app.extensions["ysflow"] = platform or Platform(app.config.get("DATABASE_URL"))


def get_platform() -> Platform:
    return current_app.extensions["ysflow"]
