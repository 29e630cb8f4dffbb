"""Failed due jobs for admins: the list of incidents and the retry, both refused to anyone else."""

from sqlalchemy.orm import Session

from engine import incidents
from engine.incidents import Incident

from .errors import BadRequest
from .organisation import require_role, require_user

KIND_LABELS = {"timer": "流程定时器", "reminder": "提醒", "email": "邮件通知"}


def require_admin(session: Session, username: str) -> None:
    """Raises PermissionDenied unless `username` is an active admin."""
    require_role(require_user(session, username), "admin")


def incident_list(session: Session, username: str, limit: int = 50, offset: int = 0) -> list[Incident]:
    """Incidents, the latest first. Raises PermissionDenied unless `username` is an admin."""
    require_admin(session, username)
    return incidents.list_incidents(session, limit, offset)


def incident_count(session: Session, username: str) -> int:
    """How many jobs are incidents now. Raises PermissionDenied unless `username` is an admin."""
    require_admin(session, username)
    return incidents.count_incidents(session)


def retry(platform, session: Session, username: str, job_id: int, note: str | None = None):
    """Put a failed job back for the workers, recorded in the instance's history with the admin's note.

    Raises PermissionDenied (not an admin), IncidentNotFound, Conflict (retried already) or
    BadRequest (a note that is not text of at most 500 characters).
    """
    require_admin(session, username)
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise BadRequest("note（重试说明）须为不超过 500 字的文本")
    return incidents.retry_incident(session, job_id, username, platform.clock(), note or None)
