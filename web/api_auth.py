"""Bearer-token authentication for the JSON API (tokens come from `ysflow token USER`)."""

from functools import wraps

from flask import g, jsonify, request

from workflows.tokens import user_for_token

from .auth import WebUser
from .platform import get_platform


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_login_required(view):
    """Run `view` with g.api_user set, or answer 401 in JSON. Sessions do not count here."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer()
        if token is None:
            return jsonify({"error": "Unauthorized", "message": "缺少 Authorization: Bearer 令牌"}), 401
        with get_platform().db.reading() as session:
            user = user_for_token(session, token)
            g.api_user = WebUser(user) if user is not None else None
        if g.api_user is None:
            return jsonify({"error": "Unauthorized", "message": "令牌无效或已撤销"}), 401
        return view(*args, **kwargs)

    return wrapper
