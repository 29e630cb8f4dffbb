"""Domain tables: the organisation, people and roles, the policy library and the rectification ledger."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models import Base


class Unit(Base):
    """A member unit: a bureau, a street, the office, the inspectors, the discipline commission.

    `kind` is one of organisation.UNIT_KINDS; `head` is the username of its 负责人, a person of
    the unit. An inactive unit stays on record for the cases and measures that name it, but is
    offered in no new choice.
    """

    __tablename__ = "unit"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    head: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Group(Base):
    """A 领导小组, 专题组, 指标组 or 专项行动组 with its leader (组长), lead unit and member units."""

    __tablename__ = "work_group"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    lead_unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    leader: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GroupMember(Base):
    __tablename__ = "work_group_member"

    group_code: Mapped[str] = mapped_column(ForeignKey("work_group.code"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), primary_key=True)


def _login_default(context) -> str:
    return context.get_current_parameters()["username"]


class User(Base):
    """A person who logs in; belongs to one unit and holds roles.

    `username` is the person's permanent identifier: tasks, events, instance data and saved
    workflows name people by it, and the audit trail must keep meaning what it said, so it never
    changes. `login` is what the person types to sign in; renaming a person changes it (it starts
    equal to `username`).
    """

    __tablename__ = "app_user"
    __table_args__ = (Index("ix_app_user_login", "login", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    login: Mapped[str] = mapped_column(String(100), default=_login_default)
    name: Mapped[str] = mapped_column(String(100))
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    roles: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class UserRole(Base):
    """A role a person holds, optionally within one group (组长 or 成员 of 开办企业)."""

    __tablename__ = "user_role"
    __table_args__ = (Index("ix_user_role_unique", "user_id", "role", "group_code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    group_code: Mapped[str | None] = mapped_column(ForeignKey("work_group.code"))


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class PolicyMeasure(Base):
    """A filed measure in the policy library (政策库)."""

    __tablename__ = "policy_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    content: Mapped[str] = mapped_column(Text)
    group_code: Mapped[str] = mapped_column(ForeignKey("work_group.code"), index=True)
    basis: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    lead_unit: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    drafter: Mapped[str | None] = mapped_column(String(100))
    doc_number: Mapped[str] = mapped_column(String(100), index=True)
    filed_on: Mapped[date] = mapped_column(Date)
    filed_by: Mapped[str] = mapped_column(String(100))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RectificationCase(Base):
    """A row of the rectification ledger (整改台账), kept in step with its instance."""

    __tablename__ = "rectification_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(30), unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str | None] = mapped_column(ForeignKey("work_group.code"), index=True)
    responsible_unit: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    inspector: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    deadline_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_opinion: Mapped[str | None] = mapped_column(Text)
    # The escalation ladder (None → reminded → overdue → handed_over) and granted extensions.
    escalation: Mapped[str | None] = mapped_column(String(20), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extended_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Attachment(Base):
    """An uploaded evidence file. The bytes are kept in the database so every host can serve them."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ExtensionRequest(Base):
    """延期申请: a unit asks for more working days before its deadline; the inspector decides."""

    __tablename__ = "extension_request"
    __table_args__ = (Index("ix_extension_request_case_status", "case_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("rectification_case.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    extra_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    old_due_on: Mapped[date] = mapped_column(Date)
    new_due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opinion: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """A message in a person's notification centre (催办, 临近提醒, 督办, 移交, 延期)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_recipient_read", "recipient", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CalendarOverride(Base):
    """An admin's entry over the official calendar: a holiday or a 调休 working day on one date."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # 'holiday' or 'workday'
    name: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarYear(Base):
    """A year whose holiday schedule an admin marked as entered in full (2027 年安排已录入)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    marked_by: Mapped[str] = mapped_column(String(100))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarState(Base):
    """One row whose token changes with every calendar edit, so each process sees when its copy is stale."""

    __tablename__ = "calendar_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    changed_by: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
