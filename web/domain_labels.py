"""Labels the domain keeps in Chinese (workflows: roles, lanes, escalation rungs, notification kinds, form diffs),
named here so that `pybabel extract` puts them in the catalogue; pages show them through gettext."""

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a literal for extraction only."""
    return message


ROLE_MSGIDS = (N_("系统管理员"), N_("领导小组办公室"), N_("组长"), N_("起草人"), N_("单位负责人"), N_("单位工作人员"),
               N_("督查人员"), N_("合法性审核"), N_("公平竞争审查"), N_("纪委监委"))
LANE_MSGIDS = (N_("牵头单位"), N_("专题组/指标组组长"), N_("合法性审核（司法局）"), N_("公平竞争审查（市场监管局）"),
               N_("责任单位"), N_("责任单位负责人"))
ESCALATION_MSGIDS = (N_("已提醒"), N_("超期督办"), N_("已移交纪委监委"))
NOTIFICATION_KIND_MSGIDS = (N_("催办"), N_("临近提醒"), N_("督办"), N_("移交"), N_("延期申请"), N_("延期审批"),
                            N_("提醒"))

# What changed in a form's field (workflows.form_diff), shown on the version diff.
FORM_DIFF_MSGIDS = (N_("标题"), N_("类型"), N_("控件"), N_("选项"), N_("默认值"), N_("提示文字"), N_("校验规则"),
                    N_("定义"), N_("必填"))


def label(text: str | None) -> str:
    """A domain label in the reader's language (as given when the catalogue does not know it)."""
    return gettext(text) if text else ""
