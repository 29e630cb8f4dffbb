"""Settings, read from the environment with defaults; tests pass their own dict over them."""

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(app) -> None:
    app.config.from_mapping(
        SECRET_KEY=_secret_key(app.instance_path),
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        # Any request body (JSON, forms, diagrams) beyond this is refused with 413. Forms with evidence
        # files are read further, up to UPLOAD_MAX_TOTAL_BYTES more, so that a file over its limit
        # comes back beside its field with the rest of the form (web.input_guard).
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)),
        MAX_FORM_MEMORY_SIZE=int(os.environ.get("MAX_FORM_MEMORY_SIZE", 500 * 1024)),  # one text field
        UPLOAD_MAX_BYTES=int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)),  # one evidence file
        UPLOAD_MAX_TOTAL_BYTES=int(os.environ.get("UPLOAD_MAX_TOTAL_BYTES", 50 * 1024 * 1024)),  # one submission
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        WTF_CSRF_TIME_LIMIT=None,
        PAGE_SIZE=20,
    )
