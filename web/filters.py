"""Jinja filters: dates and times shown in China's time zone."""

from engine.clock import as_utc
from workflows.platform import LOCAL_TZ


def localtime(value) -> str:
    return as_utc(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def localdate(value) -> str:
    if not value:
        return ""
    if hasattr(value, "astimezone") and hasattr(value, "hour"):
        return as_utc(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
    return value.isoformat()


def init_app(app) -> None:
    app.add_template_filter(localtime)
    app.add_template_filter(localdate)

    @app.context_processor
    def endpoints():
        return {"url_endpoints": set(app.view_functions)}
