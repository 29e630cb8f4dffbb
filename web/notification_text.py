"""Notification titles and bodies in the reader's language.

A notification is stored as the Chinese sentence it was sent as (the e-mail carries it too). The
sentences the product sends follow the patterns below; each is read back into its parts and
written again from the catalogue, so a reader who chose English sees English, for notifications
sent before as well. Step names inside them are translated as everywhere (web.step_names);
anything that follows no pattern (a free-text reminder) is shown as it was written.
"""

import re

from flask_babel import gettext, ngettext

from .step_names import step_name


def N_(message: str) -> str:
    """Mark a literal for extraction; it is translated when shown."""
    return message


DATE = r"\d{4}-\d{2}-\d{2}"
CASE = r"\S+"
TITLES = [
    (rf"临近提醒：(?P<case_no>{CASE}) 整改期限 (?P<due_on>{DATE})（(?P<status>[^（）]+)）",
     N_("临近提醒：%(case_no)s 整改期限 %(due_on)s（%(status)s）")),
    (rf"临近提醒：(?P<case_no>{CASE}) 整改期限 (?P<due_on>{DATE})", N_("临近提醒：%(case_no)s 整改期限 %(due_on)s")),
    (rf"督办通知：(?P<case_no>{CASE}) 已超过整改期限 (?P<due_on>{DATE})",
     N_("督办通知：%(case_no)s 已超过整改期限 %(due_on)s")),
    (rf"移交通知：(?P<case_no>{CASE}) 超期未整改，已移交纪委监委",
     N_("移交通知：%(case_no)s 超期未整改，已移交纪委监委")),
    (rf"延期申请：(?P<case_no>{CASE}) 申请延长 (?P<days>\d+) 个工作日",
     N_("延期申请：%(case_no)s 申请延长 %(days)s 个工作日")),
    (rf"延期审批：(?P<case_no>{CASE}) 同意延期（整改期限 (?P<due_on>{DATE})）",
     N_("延期审批：%(case_no)s 同意延期（整改期限 %(due_on)s）")),
    (rf"延期审批：(?P<case_no>{CASE}) 不同意延期（整改期限 (?P<due_on>{DATE})）",
     N_("延期审批：%(case_no)s 不同意延期（整改期限 %(due_on)s）")),
    (r"催办：(?P<subject>.*)（(?P<step>[^（）]+)）", N_("催办：%(subject)s（%(step)s）")),
    (r"任务回到待签收：(?P<step>.+)", N_("任务回到待签收：%(step)s")),
]
# Whole lines of a body that the product writes itself.
BODY_LINES = [
    (r"请在期限内完成整改并报送。", N_("请在期限内完成整改并报送。")),
    (r"责任单位未在期限内完成整改，请单位负责人督促落实。",
     N_("责任单位未在期限内完成整改，请单位负责人督促落实。")),
    (r"(?P<who>[^：\n]+) 催办：请抓紧办理。", N_("%(who)s 催办：请抓紧办理。")),
    (r"(?P<who>[^：\n]+) 催办：(?P<text>.+)", N_("%(who)s 催办：%(text)s")),
    (r"(?P<who>\S+) 取消了签收", N_("%(who)s 取消了签收")),
]
_TITLES = [(re.compile(pattern), msgid) for pattern, msgid in TITLES]
_BODY_LINES = [(re.compile(pattern), msgid) for pattern, msgid in BODY_LINES]
_REMAINING = re.compile(r"剩余 (\d+) 个工作日")
_OVERDUE = re.compile(r"超期 (\d+) 个工作日")


def deadline_words(level: str, remaining: int, overdue: int) -> str:
    """A deadline's standing in the current language: 剩余 3 个工作日, 今日到期, 超期 2 个工作日."""
    if level == "overdue":
        return ngettext("超期 %(num)s 个工作日", "超期 %(num)s 个工作日", overdue)
    if remaining == 0:
        return gettext("今日到期")
    return ngettext("剩余 %(num)s 个工作日", "剩余 %(num)s 个工作日", remaining)


def _standing(text: str) -> str:
    if found := _REMAINING.fullmatch(text):
        return deadline_words("ok", int(found.group(1)), 0)
    if found := _OVERDUE.fullmatch(text):
        return deadline_words("overdue", 0, int(found.group(1)))
    return deadline_words("ok", 0, 0) if text == "今日到期" else text


def _rewrite(text: str, patterns, process_key: str | None) -> str | None:
    for pattern, msgid in patterns:
        found = pattern.fullmatch(text)
        if found:
            parts = found.groupdict()
            if "status" in parts:
                parts["status"] = _standing(parts["status"])
            if "step" in parts:
                if parts.get("subject") == parts["step"]:  # a task without a title is called by its step
                    parts["subject"] = step_name(parts["subject"], process_key)
                parts["step"] = step_name(parts["step"], process_key)
            return gettext(msgid, **parts)
    return None


def title_text(title: str, process_key: str | None = None) -> str:
    """The title in the current language (as stored when it follows no known pattern)."""
    return _rewrite(title or "", _TITLES, process_key) or title


def body_text(body: str, process_key: str | None = None) -> str:
    """The body with the product's own lines in the current language; what people wrote stays."""
    return "\n".join(_rewrite(line, _BODY_LINES, process_key) or line for line in (body or "").split("\n"))
