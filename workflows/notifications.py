"""Notifications: who hears about a step, the in-app centre, 催办, and e-mail through SMTP.

A notification is a row written in the same transaction as the step it reports. When SMTP is
configured (``SMTP_HOST``, optional ``SMTP_PORT`` and ``SMTP_FROM``) and the person has an e-mail
address, an ``email`` due job is added too; the timer worker sends it after the step committed,
so a rolled-back step never sends mail.
"""

import os
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.models import DueJob, HumanTask
from engine.queries import offered_to

from .errors import FormInvalid
from .models import Notification, User, UserRole
from .organisation import actor_for, require_role, require_user

KIND_LABELS = {
    "urge": "催办", "remind": "临近提醒", "supervise": "督办", "handover": "移交",
    "extension_requested": "延期申请", "extension_decided": "延期审批", "reminder": "提醒",
    "task_released": "取消签收",
}
URGERS = ("inspector", "office", "admin")


@dataclass(frozen=True)
class Mailer:
    """SMTP settings; `from_env()` gives None when SMTP is not configured."""

    host: str
    port: int = 25
    sender: str = "ysflow@localhost"

    @classmethod
    def from_env(cls) -> "Mailer | None":
        host = os.environ.get("SMTP_HOST")
        if not host:
            return None
        return cls(host, int(os.environ.get("SMTP_PORT", "25")), os.environ.get("SMTP_FROM", "ysflow@localhost"))

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one message. Raises OSError (smtplib.SMTPException included) when delivery fails."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)


def notify(platform, session: Session, recipients: Iterable[str], kind: str, title: str, body: str = "",
           instance_id: int | None = None, task_id: int | None = None,
           case_id: int | None = None) -> list[Notification]:
    """One notification per active recipient (duplicates and unknown names dropped), plus e-mail jobs."""
    names = list(dict.fromkeys(r for r in recipients if r))
    if not names:
        return []
    users = session.scalars(select(User).where(User.username.in_(names), User.active.is_(True))).all()
    now, mail = platform.clock(), Mailer.from_env()
    made = []
    for user in sorted(users, key=lambda u: names.index(u.username)):
        note = Notification(recipient=user.username, kind=kind, title=title[:200], body=body,
                            instance_id=instance_id, task_id=task_id, case_id=case_id, created_at=now)
        session.add(note)
        made.append((note, user.email))
    session.flush()
    for note, email in made:
        if mail is not None and email:
            session.add(DueJob(instance_id=instance_id, kind="email", due_at=now, status="pending",
                               payload={"notification_id": note.id, "to": email}))
    return [note for note, _email in made]


def send_email_job(session: Session, job: DueJob, mailer: Mailer | None = None) -> None:
    """Worker handler for `email` jobs. Raises OSError when the SMTP server refuses or is away."""
    mailer = mailer or Mailer.from_env()
    note = session.get(Notification, job.payload.get("notification_id"))
    if mailer is None or note is None or note.emailed_at is not None:
        return
    mailer.send(job.payload["to"], f"【营商通办】{note.title}", note.body or note.title)
    note.emailed_at = utcnow()


def unit_people(session: Session, unit: str, role: str | None = None) -> list[str]:
    """Usernames of a unit's active people, only those holding `role` when given."""
    query = select(User.username).where(User.unit_code == unit, User.active.is_(True))
    if role:
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    return list(session.scalars(query.order_by(User.id)))


def role_holders(session: Session, role: str) -> list[str]:
    return list(session.scalars(select(User.username).join(UserRole, UserRole.user_id == User.id)
                                .where(UserRole.role == role, User.active.is_(True)).order_by(User.id)))


def task_people(session: Session, task: HumanTask) -> list[str]:
    """Who has the task in their inbox: its assignee, else everyone it is offered to."""
    if task.assignee:
        return [task.assignee]
    if task.candidate_user:
        return [task.candidate_user]
    query = select(User).where(User.active.is_(True))
    if task.candidate_unit:
        query = query.where(User.unit_code == task.candidate_unit)
    if task.candidate_role:
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == task.candidate_role)
    people = []
    for user in session.scalars(query.order_by(User.id)).unique():
        visible = select(HumanTask.id).where(HumanTask.id == task.id, offered_to(actor_for(session, user)))
        if session.scalar(visible) is not None:
            people.append(user.username)
    return people


def urge_task(platform, session: Session, username: str, task_id: int, message: str = "") -> list[Notification]:
    """催办: remind whoever holds an open task, recorded in the case history.

    Raises PermissionDenied (not an inspector or the office), FormInvalid (no such open task).
    """
    user = require_user(session, username)
    require_role(user, *URGERS)
    task = session.get(HumanTask, task_id)
    if task is None or task.status != "open":
        raise FormInvalid({"task": "任务不存在或已办结"})
    text = (message or "").strip()[:500] or "请抓紧办理。"
    people = task_people(session, task)
    platform.engine.record(session, task.instance_id, "urged", username, task_id=task.id, opinion=text,
                           data={"recipients": people})
    return notify(platform, session, people, "urge", f"催办：{task.title or task.name}（{task.name}）",
                  f"{user.name} 催办：{text}", instance_id=task.instance_id, task_id=task.id)


def unread_count(session: Session, username: str) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.recipient == username, Notification.read_at.is_(None))) or 0


def inbox(session: Session, username: str, unread_only: bool = False, limit: int = 50, offset: int = 0):
    query = select(Notification).where(Notification.recipient == username)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset)))


def mark_read(platform, session: Session, username: str, notification_id: int | None = None) -> int:
    """Mark one of the person's notifications read, or all of them when no id is given."""
    query = update(Notification).where(Notification.recipient == username, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return session.execute(query.values(read_at=platform.clock())
                           .execution_options(synchronize_session=False)).rowcount
