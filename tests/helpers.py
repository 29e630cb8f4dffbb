"""Small verbs the tests share: start, complete, find a task, count rows."""

from sqlalchemy import func, select

from engine.models import Event, HumanTask, ProcessInstance
from workflows.services import complete_task, start_process

MEASURE = {"title": "推行企业开办一日办结", "content": "企业开办全流程一日办结，推广电子营业执照。",
           "group_code": "start_business", "basis": "龙南优化营商环境工作推进机制", "kind": "general"}
CASE = {"source": "undercover", "description": "政务服务大厅窗口未落实无差别受理", "indicator": "start_business",
        "responsible_unit": "gov_data", "deadline_days": 5}
RECTIFIED = {"measures": "已落实无差别受理", "evidence": "窗口排班表；监控截图", "report": "整改完成，详见佐证材料。"}


def start(platform, user, key, data):
    with platform.db.transaction() as session:
        return start_process(platform, session, user, key, dict(data))


def complete(platform, user, task_id, data, expected_version=None):
    with platform.db.transaction() as session:
        return complete_task(platform, session, user, task_id, dict(data), expected_version)


def task_of(outcome, element_id):
    return next(t.id for t in outcome.new_tasks if t.element_id == element_id)


def snapshot(platform) -> dict:
    """Counts and versions that must not move when an action is refused."""
    with platform.db.reading() as session:
        return {
            "events": session.scalar(select(func.count()).select_from(Event)),
            "open": session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")),
            "tasks": session.scalar(select(func.count()).select_from(HumanTask)),
            "versions": dict(session.execute(select(ProcessInstance.id, ProcessInstance.version)).all()),
            "instances": session.scalar(select(func.count()).select_from(ProcessInstance)),
        }
