"""JSON API for admins: deploy diagrams and read definitions and their versions (bearer tokens)."""

from functools import wraps

from flask import Blueprint, g, jsonify, request, url_for

from engine import InvalidDefinition
from workflows import definitions_admin as admin_service
from workflows.errors import BadRequest

from .admin_forms import problems_json, read_upload
from .api_auth import api_login_required
from .input_rules import loads_strict
from .platform import get_platform

bp = Blueprint("api_definitions", __name__, url_prefix="/api/definitions")


def api_admin_required(view):
    """Bearer token of an admin, else 401 (no or bad token) or 403 (not an admin)."""

    @wraps(view)
    @api_login_required
    def wrapper(*args, **kwargs):
        if not g.api_user.has_role("admin"):
            return jsonify({"error": "Forbidden", "message": "需要管理员角色"}), 403
        return view(*args, **kwargs)

    return wrapper


def _version(row, running: dict[int, int], active_id: int) -> dict:
    return {"id": row.id, "key": row.key, "version": row.version, "name": row.name,
            "deployed_by": row.deployed_by, "deployed_at": row.deployed_at.isoformat() if row.deployed_at else None,
            "running_instances": running.get(row.id, 0), "active": row.id == active_id,
            "xml_url": url_for("admin.download", definition_id=row.id)}


def _body() -> tuple[bytes, dict | None, bool]:
    """The diagram, its forms (None when not given) and whether to migrate. Raises BadRequest."""
    migrate = request.args.get("migrate") in ("1", "true", "yes")
    if request.mimetype == "multipart/form-data":
        raw = read_upload(request)
        forms_text = request.form.get("forms")
        migrate = migrate or request.form.get("migrate") in ("1", "true", "yes")
        if not forms_text:
            return raw, None, migrate
        try:  # JSON inside a form field: as strict as a JSON body (depth, NaN, control characters)
            forms = loads_strict(forms_text)
        except ValueError as err:
            raise BadRequest(f"forms 不是有效的 JSON：{err}") from None
        if not isinstance(forms, dict):
            raise BadRequest("forms 须为按元素 id 组织的 JSON 对象")
        return raw, forms, migrate
    if request.mimetype in ("application/xml", "text/xml", "application/bpmn+xml"):
        raw = request.get_data(cache=False)
        if not raw.strip():
            raise BadRequest("请求体为空：请发送 BPMN XML")
        return raw, None, migrate
    # web.input_guard answers other types with 415 before this view runs.
    raise BadRequest("请以 Content-Type: application/xml 发送 BPMN，或以 multipart/form-data 上传 file 字段")


@bp.route("", methods=["POST"])
@api_admin_required
def create():
    """Deploy a BPMN file as a new version: 201 with the version, or 422 with problems by element."""
    raw, forms, migrate = _body()
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            deployed, report = admin_service.deploy_diagram(platform, session, g.api_user.username, raw,
                                                            forms, migrate)
    except InvalidDefinition as err:
        return problems_json(err), 422
    body = {"ok": True, "id": deployed.id, "key": deployed.key, "version": deployed.version,
            "migration": report.as_dict() if report else None}
    return jsonify(body), 201


@bp.route("", methods=["GET"])
@api_admin_required
def index():
    """Every process with its active version and how many versions it has."""
    with get_platform().db.reading() as session:
        processes = admin_service.processes(session, g.api_user.username)
    return jsonify([{"key": p.key, "name": p.name, "active_version": p.active.version,
                     "versions": len(p.versions), "active": _version(p.active, p.running, p.active.id)}
                    for p in processes])


@bp.route("/<key>/versions", methods=["GET"])
@api_admin_required
def versions(key: str):
    """Every version of one process, newest first; 404 for an unknown process."""
    with get_platform().db.reading() as session:
        found = [p for p in admin_service.processes(session, g.api_user.username) if p.key == key]
    if not found:
        return jsonify({"error": "NotFound", "message": f"没有名为 {key} 的流程定义"}), 404
    process = found[0]
    return jsonify([_version(row, process.running, process.active.id) for row in process.versions])
