"""What a diagram's element settings (engine.element_settings) mean to the product.

Each feature that an admin configures per element registers its keys here with a check of the
value; a deploy refuses a key nobody registered, or a value its check refuses, naming the element.
The first key is ``deny``: the task operations a user task forbids ("no 转办", "no 加签" …); an
operation a diagram forbids is not offered on the task page and is refused by the API with 403.
"""

from collections.abc import Callable

from engine import Problem
from engine.models import ProcessDefinition

from .errors import PermissionDenied

# The operations a person may take on a task besides completing it, as the modeler names them.
OPERATIONS = {
    "transfer": "转办", "delegate": "委派", "add_signers": "加签", "remove_signers": "减签",
    "reject_to": "驳回", "withdraw": "撤回", "copy": "抄送", "release": "取消签收",
}

# key → check(value) returning why the value is wrong, or None
SettingCheck = Callable[[object], str | None]
SETTING_CHECKS: dict[str, SettingCheck] = {}


def register(key: str, check: SettingCheck) -> None:
    """Make `key` a setting a diagram may carry, its values checked by `check` at deploy."""
    SETTING_CHECKS[key] = check


def _check_deny(value) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "deny 须为操作名称的列表"
    unknown = [v for v in value if v not in OPERATIONS]
    if unknown:
        return "deny 中有未知的操作：" + "、".join(unknown[:10]) + "；可用：" + "、".join(OPERATIONS)
    return None


register("deny", _check_deny)


def check_settings(parsed, forms) -> list[Problem]:
    """Deploy check: every element setting is one the product knows, with a value it takes."""
    problems = []
    for element_id, settings in parsed.settings.items():
        for key, value in settings.items():
            check = SETTING_CHECKS.get(key)
            why = f"未知的设置 {key}" if check is None else check(value)
            if why:
                problems.append(Problem(element_id, f"元素 {element_id} 的环节设置：{why}"))
    return problems


def settings_of(definition: ProcessDefinition, element_id: str) -> dict:
    """The settings the version gives the element; empty when it has none."""
    return dict((definition.settings or {}).get(element_id) or {})


def allows(definition: ProcessDefinition, element_id: str, operation: str) -> bool:
    return operation not in settings_of(definition, element_id).get("deny", ())


def require_allowed(definition: ProcessDefinition, element_id: str, operation: str) -> None:
    """Raises PermissionDenied (403) when the diagram forbids `operation` on the element."""
    if not allows(definition, element_id, operation):
        raise PermissionDenied(f"流程图规定该环节不允许{OPERATIONS.get(operation, operation)}")
