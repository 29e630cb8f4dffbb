"""Reading what the admin pages and the definitions API send: editor payloads and uploaded files."""

from flask import jsonify

from engine import InvalidDefinition
from engine.parsing import MAX_XML_BYTES
from workflows.errors import BadRequest


def problems_json(err: InvalidDefinition):
    """The refusal as JSON: a message and every problem by element."""
    return jsonify({"ok": False, "error": "InvalidDefinition", "message": err.message,
                    "problems": [{"element_id": p.element_id, "message": p.message} for p in err.problems]})


def editor_payload(request) -> dict:
    """The modeler's JSON body: xml, forms by element id, and the migrate / dry_run flags.

    Raises BadRequest when the body is not such an object.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not body["xml"].strip():
        raise BadRequest("请求须为 JSON，且包含流程图 XML（xml）")
    forms = body.get("forms")
    if forms is not None and not isinstance(forms, dict):
        raise BadRequest("forms 须为按元素 id 组织的对象")
    unknown = sorted(set(body) - {"xml", "forms", "migrate", "dry_run"})
    if unknown:
        raise BadRequest(f"不认识的字段：{'、'.join(unknown[:10])}")
    for flag in ("migrate", "dry_run"):  # "false" must not migrate every running instance
        if not isinstance(body.get(flag, False), bool):
            raise BadRequest(f"{flag} 须为 true 或 false")
    return {"xml": body["xml"], "forms": forms if forms is not None else {},
            "migrate": body.get("migrate", False), "dry_run": body.get("dry_run", False)}


def read_upload(request, field: str = "file") -> bytes:
    """The uploaded file's bytes. Raises BadRequest when there is none or it is larger than allowed."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise BadRequest("请选择要上传的 .bpmn 文件")
    raw = upload.read(MAX_XML_BYTES + 1)
    if len(raw) > MAX_XML_BYTES:
        raise BadRequest(f"文件过大（上限 {MAX_XML_BYTES // 1024} KB）")
    if not raw.strip():
        raise BadRequest("上传的文件是空的")
    return raw
