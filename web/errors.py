"""Errors become a page with a clear message (or JSON under /api), never a traceback."""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import EngineError, InvalidDefinition
from workflows.errors import FormInvalid


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_payload(err: EngineError) -> dict:
    payload = {"error": type(err).__name__, "message": err.message}
    if isinstance(err, FormInvalid):
        payload["errors"] = err.errors
    if isinstance(err, InvalidDefinition):
        payload["problems"] = [{"element_id": p.element_id, "message": p.message} for p in err.problems]
    return payload


def render_error(status: int, message: str, payload: dict | None = None):
    if wants_json():
        return jsonify(payload or {"error": str(status), "message": message}), status
    return render_template("error.html", status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(EngineError)
    def engine_error(err: EngineError):
        return render_error(err.status, err.message, error_payload(err))

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return render_error(400, "表单已过期或缺少安全令牌（CSRF），请刷新页面后重试")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        messages = {403: "无权访问", 404: "页面不存在", 405: "不支持的请求方式", 413: "上传内容过大"}
        return render_error(err.code or 500, messages.get(err.code, err.description or err.name))
