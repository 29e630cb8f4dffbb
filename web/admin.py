"""流程管理: process definitions and their versions, the BPMN modeler, forms, diffs and migrations."""

from functools import wraps
from pathlib import Path

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import InvalidDefinition
from workflows import definitions_admin as admin_service
from workflows.errors import BadRequest
from workflows.lanes import LANE_LABELS

from .admin_forms import editor_payload, problems_json, read_upload
from .input_rules import loads_strict
from .platform import get_platform

# The fields of the modeler's 环节设置 panel, a file per feature under static/js/settings/ (panel.js draws them).
SETTINGS_SCRIPTS = sorted(p.name for p in (Path(__file__).parent / "static" / "js" / "settings").glob("*.js")
                          if p.name != "panel.js")

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    """Let only logged-in admins through; others get 403 (anonymous people go to the login page)."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.has_role("admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.route("/")
@admin_required
def index():
    """Every process with its versions, the active one marked, and the running instances on each."""
    with get_platform().db.reading() as session:
        processes = admin_service.processes(session, current_user.username)
    return render_template("admin/index.html", processes=processes)


@bp.route("/definitions/<int:definition_id>.bpmn")
@admin_required
def download(definition_id: int):
    """One version's BPMN XML as a file."""
    with get_platform().db.reading() as session:
        row = admin_service.definition(session, current_user.username, definition_id)
    filename = f"{row.key}-v{row.version}.bpmn"
    return Response(row.bpmn_xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/definitions/<int:definition_id>/edit")
@admin_required
def edit(definition_id: int):
    """Open a version in the modeler; saving makes a new version."""
    with get_platform().db.reading() as session:
        row = admin_service.definition(session, current_user.username, definition_id)
        title = _("编辑 %(name)s（基于第 %(version)s 版）", name=row.name, version=row.version)
        return _modeler(title, row.bpmn_xml, dict(row.forms or {}), row.key, row.id)


@bp.route("/new")
@admin_required
def new():
    """新建流程: the blank template (a pool with lanes) under the key and name given."""
    key, name = request.args.get("key", "").strip(), request.args.get("name", "").strip()
    with get_platform().db.reading() as session:
        try:
            xml = admin_service.blank_diagram(session, current_user.username, key, name)
        except BadRequest as err:
            flash(err.message, "danger")
            return redirect(url_for("admin.index"))
    return _modeler(_("新建流程 %(key)s", key=key), xml, {}, key, None)


@bp.route("/upload", methods=["POST"])
@admin_required
def upload():
    """Open a .bpmn file drawn in another tool in the modeler, with the forms its process already has."""
    try:
        raw = read_upload(request)
    except BadRequest as err:
        flash(err.message, "danger")
        return render_template("admin/index.html", processes=_processes()), 400
    xml = admin_service.as_utf8(raw)
    problem = admin_service.unreadable(xml)
    if problem:
        flash(_("无法打开该文件：%(reason)s", reason=problem), "danger")
        return render_template("admin/index.html", processes=_processes()), 400
    key = admin_service.process_key_of(xml)
    with get_platform().db.reading() as session:
        form_map = admin_service.forms_for(session, key)
    return _modeler(_("上传的流程 %(key)s", key=key or ""), xml.decode("utf-8"), form_map, key, None)


@bp.route("/deploy", methods=["POST"])
@admin_required
def deploy():
    """Validate the modeler's XML and forms; unless it is a dry run, deploy them as a new version."""
    payload = editor_payload(request)
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            if payload["dry_run"]:
                admin_service.check_diagram(platform, session, current_user.username, payload["xml"],
                                            payload["forms"])
                return jsonify({"ok": True})
            deployed, report = admin_service.deploy_diagram(platform, session, current_user.username,
                                                            payload["xml"], payload["forms"], payload["migrate"])
    except InvalidDefinition as err:
        return problems_json(err), 422
    body = {"ok": True, "id": deployed.id, "key": deployed.key, "version": deployed.version,
            "migration": report.as_dict() if report else None,
            "edit_url": url_for("admin.edit", definition_id=deployed.id), "index_url": url_for("admin.index")}
    return jsonify(body), 201


@bp.route("/forms/preview", methods=["POST"])
@admin_required
def preview():
    """The form a JSON schema draws, rendered by the task page's own macro, or its schema errors."""
    text = (request.get_json(silent=True) or {}).get("schema", "")
    if not isinstance(text, str):
        raise BadRequest(_("schema 须为 JSON 文本"))
    try:  # the schema is JSON inside the body's JSON: read it as strictly (depth, NaN, control characters)
        loads_strict(text)
    except ValueError as err:
        problem = _("不是有效的 JSON：%(reason)s", reason=err)
        return render_template("admin/_preview.html", fields=[], problems=[problem])
    with get_platform().db.reading() as session:
        fields, problems = admin_service.preview_form(session, current_user.username, text)
    return render_template("admin/_preview.html", fields=fields, problems=problems)


@bp.route("/processes/<key>/diff")
@admin_required
def diff(key: str):
    """What changed between two versions (elements and forms), as lists and coloured on both diagrams."""
    new_version = request.args.get("to", type=int)
    old_version = request.args.get("from", type=int)
    with get_platform().db.reading() as session:
        if new_version is None:
            new_version = admin_service.processes_versions(session, current_user.username, key)[0]
        if old_version is None:
            old_version = max(new_version - 1, 1)
        old = admin_service.version_of(session, current_user.username, key, old_version)
        new_ = admin_service.version_of(session, current_user.username, key, new_version)
        changes = admin_service.compare(session, current_user.username, old.id, new_.id)
        form_changes = admin_service.compare_forms(session, current_user.username, old.id, new_.id)
        versions = admin_service.processes_versions(session, current_user.username, key)
    return render_template("admin/diff.html", key=key, old=old, new=new_, changes=changes, versions=versions,
                           form_changes=form_changes)


@bp.route("/definitions/<int:definition_id>/migrate", methods=["POST"])
@admin_required
def migrate(definition_id: int):
    """Move the running instances of older versions onto this version; report those that cannot move."""
    platform = get_platform()
    with platform.db.transaction() as session:
        target = admin_service.definition(session, current_user.username, definition_id)
        report = admin_service.migrate(platform, session, current_user.username, definition_id)
        target_label = f"{target.name} 第 {target.version} 版"
    return render_template("admin/migration.html", report=report, target_label=target_label)


def _processes():
    with get_platform().db.reading() as session:
        return admin_service.processes(session, current_user.username)


def _modeler(title: str, xml: str, form_map: dict, key: str | None, base_id: int | None):
    data = {
        "xml": xml, "forms": form_map, "key": key, "base_id": base_id,
        "urls": {"deploy": url_for("admin.deploy"), "preview": url_for("admin.preview"),
                 "index": url_for("admin.index")},
        "labels": {"start": _("开始表单（start）"), "valid": _("校验通过，可以部署"), "none": _("没有问题"),
                   "deployed": _("已部署为第 %(v)s 版"), "import_error": _("流程图无法打开："),
                   "no_form": _("（尚无表单）"), "saving": _("正在校验并部署…"), "failed": _("未部署：请修正以下问题"),
                   "moved": _("已迁移实例：%(n)s 个"), "skipped": _("未迁移：%(n)s 个"),
                   "not_in_diagram": _("（不在图中）")},
    }
    return render_template("admin/modeler.html", title=title, data=data, key=key, lanes=LANE_LABELS,
                           settings_scripts=SETTINGS_SCRIPTS)
