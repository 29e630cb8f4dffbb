"""What each kind of history event is called on screen, in the reader's language.

The event table keeps the engine's and the domain's own kinds (``task_completed``, ``urged`` …);
people see these labels. A kind without a label reads as 其他操作, never as its raw name.
The labels are extracted with the context "event" (`pybabel extract` reads ``pgettext``).
"""

from flask_babel import lazy_pgettext as pgettext

EVENT_LABELS = {
    "instance_started": pgettext("event", "发起"),
    "task_created": pgettext("event", "生成待办"),
    "task_claimed": pgettext("event", "签收"),
    "task_completed": pgettext("event", "办理"),
    "task_cancelled": pgettext("event", "撤销"),
    "timer_fired": pgettext("event", "期限届满"),
    "instance_completed": pgettext("event", "办结"),
    "instance_migrated": pgettext("event", "迁移版本"),
    "deadline_changed": pgettext("event", "调整期限"),
    "deadline_reminded": pgettext("event", "临近提醒"),
    "supervised": pgettext("event", "超期督办"),
    "handed_over": pgettext("event", "移交纪委监委"),
    "reminder_sent": pgettext("event", "发送提醒"),
    "urged": pgettext("event", "催办"),
    "extension_requested": pgettext("event", "申请延期"),
    "extension_approved": pgettext("event", "同意延期"),
    "extension_refused": pgettext("event", "不同意延期"),
    "calendar_recomputed": pgettext("event", "按工作日历调整期限"),
    "job_failed": pgettext("event", "定时任务失败"),
    "job_retried": pgettext("event", "重试定时任务"),
    "task_reassigned": pgettext("event", "转交"),
    "task_released": pgettext("event", "取消签收"),
}
OTHER = pgettext("event", "其他操作")


def event_label(kind: str | None) -> str:
    """The label of an event kind in the current language; 其他操作 for a kind nobody named."""
    return str(EVENT_LABELS.get(kind or "", OTHER))
