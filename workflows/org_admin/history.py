"""Whether a person left any trace: a person with history is deactivated, never deleted.

Every column that names a person by username is listed here, so a new one is added in one place.
"""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.models import Event, HumanTask, ProcessDefinition, ProcessInstance

from ..models import Attachment, ExtensionRequest, Notification, PolicyMeasure, RectificationCase

PERSON_COLUMNS = [
    ("办理或被指派的任务", (HumanTask.assignee, HumanTask.candidate_user, HumanTask.completed_by)),
    ("发起的流程", (ProcessInstance.started_by,)),
    ("流程记录", (Event.actor,)),
    ("部署的流程版本", (ProcessDefinition.deployed_by,)),
    ("政策举措", (PolicyMeasure.drafter, PolicyMeasure.filed_by)),
    ("整改案件", (RectificationCase.inspector,)),
    ("上传的附件", (Attachment.uploaded_by,)),
    ("延期申请", (ExtensionRequest.requested_by, ExtensionRequest.decided_by)),
    ("通知", (Notification.recipient,)),
]


def traces(session: Session, username: str) -> list[str]:
    """What names the person, in words (流程记录 3 条 …); empty when they left no trace."""
    found = []
    for words, columns in PERSON_COLUMNS:
        table = columns[0].class_
        count = session.scalar(select(func.count()).select_from(table)
                               .where(or_(*(c == username for c in columns)))) or 0
        if count:
            found.append(f"{words} {count} 条")
    return found
