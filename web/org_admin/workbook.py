"""组织机构 · 导入导出: the workbook export, the template, and an import previewed before it is written."""

import base64
import binascii
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflows.org_admin import workbook, workbook_import
from workflows.org_admin.workbook_import import MAX_BYTES, ImportRefused

from ..platform import get_platform
from .common import org_admin_required

bp = Blueprint("org_workbook", __name__, url_prefix="/admin/org/workbook")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


@bp.route("/")
@org_admin_required
def index():
    """The import form, with the template and the export to download."""
    return render_template("org/workbook.html")


@bp.route("/export.xlsx")
@org_admin_required
def export():
    """The whole organisation as a workbook: units, groups and people, one sheet each."""
    with get_platform().db.reading() as session:
        data = workbook.export_workbook(session)
    return _xlsx(data, f"organisation-{date.today().isoformat()}.xlsx")


@bp.route("/template.xlsx")
@org_admin_required
def template():
    """The empty workbook with a note on every column."""
    return _xlsx(workbook.template_workbook(), "organisation-template.xlsx")


def _upload() -> bytes | None:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    return upload.read(MAX_BYTES + 1)


@bp.route("/preview", methods=["POST"])
@org_admin_required
def preview():
    """Read the uploaded workbook whole and show what it would change and every error; write nothing."""
    data = _upload()
    if data is None:
        flash(_("请选择要导入的 Excel 工作簿（.xlsx）"), "danger")
        return render_template("org/workbook.html"), 400
    try:
        with get_platform().db.reading() as session:
            plan = workbook_import.plan_import(session, current_user.username, data)
    except ImportRefused as err:
        return render_template("org/workbook.html", refused=err.errors), 422
    return render_template("org/import_preview.html", plan=plan, data=base64.b64encode(data).decode("ascii"),
                           names={u: p.name for u, p in plan.before.people.items()}), 422 if plan.errors else 200


@bp.route("/confirm", methods=["POST"])
@org_admin_required
def confirm():
    """Write the previewed workbook in one transaction, if it still changes exactly what was shown.

    The preview page carries the workbook back in a url-encoded field (no per-field size limit
    applies to those; MAX_CONTENT_LENGTH still bounds the request).
    """
    try:
        data = base64.b64decode(request.form.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            plan = workbook_import.run_import(platform, session, current_user.username, data,
                                              request.form.get("digest", ""))
    except ImportRefused as err:
        return render_template("org/workbook.html", refused=err.errors), 422
    counts = plan.counts
    flash(_("导入完成：新增 %(a)s 条，修改 %(c)s 条，停用 %(d)s 条，交接待办 %(h)s 项", a=counts["added"],
            c=counts["changed"], d=counts["deactivated"], h=counts["handovers"]), "success")
    return redirect(url_for("org_workbook.index"), code=303)
