"""政策库: filed policy measures, searchable by everyone logged in, each with its approval history."""

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import login_required

from engine import queries
from workflows.models import PolicyMeasure
from workflows.organisation import form_options, group_names, unit_names, user_names
from workflows.policy import KIND_LABELS, search_library

from .platform import get_platform
from .step_names import step_name

bp = Blueprint("library", __name__, url_prefix="/library")


def N_(message: str) -> str:
    """Mark a literal for extraction only; templates translate it with _() when they show it."""
    return message


# The steps a reader of the library cares about (labelled by web.event_labels); bookkeeping such as
# task_created stays out.
SHOWN_EVENTS = {"instance_started", "task_claimed", "task_completed", "urged", "task_cancelled", "timer_fired",
                "instance_completed"}
# The measure kinds live in workflows.policy in Chinese; naming them here puts them in the catalogue.
KIND_MSGIDS = (N_("一般举措"), N_("规范性文件"))


def library_query(args) -> dict:
    """The search terms that query arguments ask for: text, group and 文号."""
    return {"text": (args.get("q") or "").strip() or None, "group": args.get("group") or None,
            "doc_number": (args.get("doc_number") or "").strip() or None}


def page_of(args) -> int:
    return max(args.get("page", 1, type=int) or 1, 1)


@bp.route("/")
@login_required
def index():
    """Search the library; newest filings first, one page at a time."""
    platform = get_platform()
    size, page, terms = int(current_app.config.get("PAGE_SIZE", 20)), page_of(request.args), library_query(request.args)
    with platform.db.reading() as session:
        measures = search_library(session, **terms, limit=size + 1, offset=(page - 1) * size)
        groups, units = form_options(session)["groups"], unit_names(session)
    return render_template("library/index.html", measures=measures[:size], has_next=len(measures) > size,
                           page=page, terms=terms, groups=groups, group_names=dict(groups), units=units,
                           kinds=KIND_LABELS)


@bp.route("/<int:measure_id>")
@login_required
def show(measure_id: int):
    """One filed measure and its history: who did what, when, with which opinion. 404 if unknown."""
    platform = get_platform()
    with platform.db.reading() as session:
        measure = session.get(PolicyMeasure, measure_id)
        if measure is None:
            abort(404)
        events = [e for e in queries.instance_events(session, measure.instance_id)
                  if e.kind in SHOWN_EVENTS or e.opinion]
        task_names = {t.id: step_name(t.name, t.process_key)
                      for t in queries.instance_tasks(session, measure.instance_id, status=None)}
        people, groups, units = user_names(session), group_names(session), unit_names(session)
    return render_template("library/show.html", measure=measure, events=events, task_names=task_names,
                           people=people, groups=groups, units=units, kinds=KIND_LABELS)
