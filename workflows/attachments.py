"""Evidence files (佐证附件): checked, stored in the database with the task they belong to, and
served only to people who may see the instance or the case.

Uploads travel with the form that lists them, so a refused upload or a refused form stores nothing.
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import NotFound, Outcome

from . import forms
from .errors import FormInvalid
from .models import Attachment
from .services import complete_task, instance_for, load_task

# extension → (content type, leading bytes a real file of that kind starts with)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "txt": ("text/plain", ()),
}
ALLOWED_LABEL = "PDF、JPG、PNG、DOC、DOCX、XLS、XLSX、TXT"


@dataclass
class Upload:
    """One file as the browser sent it."""

    filename: str
    content: bytes


def clean_filename(name: str) -> str:
    """The file's own name, without folders or control characters, at most 255 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[-255:] or "附件"


def _looks_like_text(content: bytes) -> bool:
    if b"\x00" in content[:8192]:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            content.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def check_upload(upload: Upload, max_bytes: int) -> str:
    """The content type of an acceptable file. Raises ValueError with the reason it is refused."""
    name = clean_filename(upload.filename)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise ValueError(f"文件“{name}”类型不允许，仅支持 {ALLOWED_LABEL}")
    if len(upload.content) > max_bytes:
        raise ValueError(f"文件“{name}”超过 {max_bytes / 1024 / 1024:g} MB 上限")
    if not upload.content:
        raise ValueError(f"文件“{name}”是空文件")
    content_type, magic = ALLOWED[ext]
    genuine = _looks_like_text(upload.content) if ext == "txt" else upload.content.startswith(magic)
    if not genuine:
        raise ValueError(f"文件“{name}”的内容与扩展名 .{ext} 不符")
    return content_type


def file_fields(schema: dict) -> set[str]:
    """Fields of a form that take uploaded files (``x-widget: files``)."""
    return {name for name, prop in schema.get("properties", {}).items() if prop.get("x-widget") == "files"}


def submit_task_form(platform, session: Session, username: str, task_id, form, uploads: dict[str, list[Upload]],
                     max_bytes: int, expected_version: int | None = None, max_total: int | None = None) -> Outcome:
    """Complete a task from a posted HTML form (anything with ``get`` and ``getlist``) and its files.

    The files of the form's file fields are checked (each at most `max_bytes`, together at most
    `max_total`) and stored, and their ids join the field's list. Raises FormInvalid (every field's
    message, refused files included) and everything complete_task raises; the caller's transaction
    then rolls back, so no file is kept.
    """
    _user, view = load_task(session, username, task_id)
    if view.task.status != "open":
        # A finished task is refused as a conflict (已由…办理) whatever the form holds.
        return complete_task(platform, session, username, task_id, {}, expected_version)
    errors, stored = {}, {}
    try:
        data = forms.coerce(view.schema, form.get, form.getlist)
    except FormInvalid as err:
        data, errors = None, dict(err.errors)
    wanted = file_fields(view.schema)
    for field, files in uploads.items():
        files = [f for f in files if f.filename or f.content]
        if not files:
            continue
        if field not in wanted:
            errors["_form"] = "该表单不接受上传文件"
            continue
        try:
            stored[field] = [(f, check_upload(f, max_bytes)) for f in files]
        except ValueError as err:
            errors[field] = str(err)
    total = sum(len(f.content) for files in stored.values() for f, _kind in files)
    if max_total is not None and total > max_total:
        for field in stored:
            errors.setdefault(field, f"附件合计超过 {max_total / 1024 / 1024:g} MB 上限，请分次提交或压缩后再上传")
    if errors:
        raise FormInvalid({**(_form_errors(view.schema, data) if data is not None else {}), **errors})
    for field, files in stored.items():
        ids = [_store(session, platform, username, view.task, f, kind).id for f, kind in files]
        data[field] = [*data.get(field, []), *ids]
    return complete_task(platform, session, username, task_id, data, expected_version)


def _form_errors(schema: dict, data: dict) -> dict[str, str]:
    """The other fields' messages, so that a refused file does not hide them."""
    try:
        forms.validate(schema, data)
    except FormInvalid as err:
        return err.errors
    return {}


def _store(session: Session, platform, username: str, task, upload: Upload, content_type: str) -> Attachment:
    attachment = Attachment(
        instance_id=task.instance_id, task_id=task.id, filename=clean_filename(upload.filename),
        content_type=content_type, size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(),
        uploaded_by=username, uploaded_at=platform.clock(), content=upload.content,
    )
    session.add(attachment)
    session.flush()
    return attachment


def for_instance(session: Session, instance_id: int) -> list[Attachment]:
    """An instance's files, oldest first, without their bytes."""
    return list(session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                                .order_by(Attachment.id)))


def fetch(session: Session, username: str, attachment_id: int) -> Attachment:
    """A file with its bytes, for someone who may see its instance or case.

    Raises NotFound for an unknown id, PermissionDenied for a file of someone else's case.
    """
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"附件 {attachment_id} 不存在")
    instance_for(session, username, attachment.instance_id)
    attachment.content  # noqa: B018 - load the deferred bytes while the session is open
    return attachment
