"""Downloading evidence files, only for people who may see the instance or the case."""

from io import BytesIO

from flask import Blueprint, send_file
from flask_login import current_user, login_required

from workflows.attachments import fetch

from .platform import get_platform

bp = Blueprint("attachments", __name__, url_prefix="/attachments")


@bp.route("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """Send one file as a download (never shown inline), 403/404 for anyone else."""
    with get_platform().db.reading() as session:
        attachment = fetch(session, current_user.username, attachment_id)
    response = send_file(BytesIO(attachment.content), mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, etag=attachment.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
