"""Errors become a page with a clear message (or JSON under /api), never a traceback."""

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from engine import EngineError, InvalidDefinition
from workflows.errors import FormInvalid

from .input_rules import Refusal

log = logging.getLogger(__name__)
# What each HTTP error says to people; werkzeug's own descriptions are English.
MESSAGES = {
    400: "请求无效", 401: "需要登录", 403: "无权访问", 404: "页面不存在", 405: "不支持的请求方式",
    406: "无法提供所要求的格式", 408: "请求超时", 409: "数据已被他人更新", 410: "该资源已不存在",
    411: "缺少请求长度（Content-Length）", 412: "前提条件不满足", 413: "请求内容过大", 414: "请求地址过长",
    415: "不支持的请求内容类型", 416: "请求的范围无效", 417: "无法满足 Expect 请求头", 422: "请求内容无法处理",
    428: "缺少前提条件", 429: "请求过于频繁，请稍后再试", 431: "请求头过大", 501: "不支持的请求",
}
API_MESSAGES = {404: "请求的资源不存在"}  # under /api there are no pages


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


def http_message(err: HTTPException) -> str:
    """The Chinese message for an HTTP error: a refusal's own, else the one for its status."""
    if isinstance(err, Refusal):
        return err.description
    code = err.code or 500
    fallback = "请求无效" if code < 500 else "服务器内部错误"
    return _((API_MESSAGES if wants_json() else {}).get(code) or MESSAGES.get(code, fallback))


def http_error_response(err: HTTPException):
    """An HTTP error as JSON under /api, else the error page."""
    code, message = err.code or 500, http_message(err)
    return render_error(code, message, {"error": err.name.replace(" ", ""), "message": message})


def init_app(app) -> None:
    @app.errorhandler(EngineError)
    def engine_error(err: EngineError):
        return render_error(err.status, err.message, error_payload(err))

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return render_error(400, _("表单已过期或缺少安全令牌（CSRF），请刷新页面后重试"),
                            {"error": "CSRFError", "message": _("表单已过期或缺少安全令牌（CSRF），请刷新页面后重试")})

    app.register_error_handler(HTTPException, http_error_response)

    @app.errorhandler(DataError)
    def database_refused(err: DataError):
        # The database refused a value it was sent (out of range, not text it stores). Input checks
        # should have caught it first; the action's transaction has rolled back, so nothing changed.
        log.warning("the database refused a value: %s", err.orig)
        message = _("提交的数据超出允许的范围（数值过大或含有不允许的字符）")
        return render_error(400, message, {"error": "BadRequest", "message": message})
