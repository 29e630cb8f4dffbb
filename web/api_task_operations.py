"""The task operations besides completing, over the JSON API: `POST /api/tasks/<id>/<operation>`.

Bodies are JSON objects of the operation's fields plus `expected_version` (or `If-Match`), as for a
completion; a field nobody reads is refused. Errors are JSON (web.errors).
"""

from flask import Blueprint, g, jsonify
from flask_babel import gettext as _

from workflows.errors import BadRequest
from workflows.task_operations.release import release_task

from .api import expected_version, json_body
from .api_auth import api_login_required
from .platform import get_platform

bp = Blueprint("api_task_ops", __name__, url_prefix="/api/tasks")


def body_of(fields: dict) -> tuple[dict, int | None]:
    """The request's fields (name → type) and its expected version. Raises BadRequest for anything else."""
    body = json_body()
    version = expected_version(body)
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BadRequest(_("不认识的字段：%(names)s", names="、".join(unknown[:10])))
    for name, kind in fields.items():
        if name in body and not isinstance(body[name], kind):
            raise BadRequest(_("字段 %(name)s 的类型不对", name=name))
    return body, version


@bp.post("/<int:task_id>/release")
@api_login_required
def release(task_id: int):
    """取消签收 (body: optional `reason`); 200 with the task as it is now offered."""
    body, version = body_of({"reason": str})
    platform = get_platform()
    with platform.db.transaction() as session:
        done = release_task(platform, session, g.api_user.username, task_id, body.get("reason"), version)
    return jsonify({"task_id": done.task_id, "assignee": done.after.assignee,
                    "candidate_unit": done.after.candidate_unit})
