"""Jinja filters: dates and times shown in China's time zone, and JSON written in the order it was given."""

from flask_babel import get_locale

from engine.clock import as_utc
from workflows.platform import LOCAL_TZ

from .event_labels import event_label
from .notification_text import deadline_words
from .step_names import step_name


def localtime(value) -> str:
    return as_utc(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def localdate(value) -> str:
    if not value:
        return ""
    if hasattr(value, "astimezone") and hasattr(value, "hour"):
        return as_utc(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
    return value.isoformat()


def deadline_label(status) -> str:
    """A DeadlineStatus in the reader's language (its own label is Chinese)."""
    return deadline_words(status.level, status.remaining, status.overdue) if status else ""


def ui_lang() -> str:
    """The language this page is drawn in: 'en' or 'zh_CN'."""
    return str(get_locale() or "zh_CN")


def init_app(app) -> None:
    # Jinja's tojson sorts keys unless told otherwise; a form's fields keep the order they were written in.
    app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": False}
    app.add_template_filter(localtime)
    app.add_template_filter(localdate)
    app.add_template_global(ui_lang)
    app.add_template_filter(step_name)
    app.add_template_filter(deadline_label)
    app.add_template_global(event_label)

    @app.context_processor
    def endpoints():
        return {"url_endpoints": set(app.view_functions)}
