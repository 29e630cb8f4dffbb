"""Start pages: a drafter drafts a policy measure (起草举措), an inspector records a problem (登记问题)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows.errors import FormInvalid, PermissionDenied
from workflows.forms import coerce, fields
from workflows.hooks import hooks_for
from workflows.organisation import require_user
from workflows.services import start_form, start_process

from .platform import get_platform

bp = Blueprint("start", __name__, url_prefix="/start")
TITLES = {"policy_measure": "起草政策举措", "rectification": "登记督查发现问题"}


def _schema(process_key: str) -> dict:
    """The start form of `process_key`. Raises PermissionDenied for someone who may not start it."""
    with get_platform().db.reading() as session:
        hooks_for(process_key).check_starter(session, require_user(session, current_user.username))
        _definition, schema = start_form(session, process_key)
    return schema


def _start(process_key: str):
    schema = _schema(process_key)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        platform = get_platform()
        try:
            data = coerce(schema, request.form.get, request.form.getlist)
            with platform.db.transaction() as session:
                outcome = start_process(platform, session, current_user.username, process_key, data)
        except FormInvalid as err:
            values, errors, status = request.form, err.errors, 422
        except PermissionDenied as err:
            values, errors, status = request.form, {"_form": err.message}, 403
        else:
            flash(_("已发起：%(title)s", title=_(TITLES[process_key])), "success")
            return redirect(url_for("instances.show", instance_id=outcome.instance_id))
    return render_template("start/form.html", title=TITLES[process_key], fields=fields(schema),
                           values=values, errors=errors), status


@bp.route("/policy_measure", methods=["GET", "POST"])
@login_required
def policy_measure():
    """A group's lead unit drafts a policy measure and sends it to the group leader."""
    return _start("policy_measure")


@bp.route("/rectification", methods=["GET", "POST"])
@login_required
def rectification():
    """An inspector records a problem against a unit with a deadline in working days."""
    return _start("rectification")
