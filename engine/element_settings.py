"""Settings a diagram carries on its elements, for the caller to interpret.

An admin sets, per element, what the product should do beyond the BPMN standard (which task
operations a user task forbids, how its signers sign, what happens when it times out …). The
modeler writes them as one attribute holding a JSON object, ``yf:settings``, in the product's
own namespace; any other modeler keeps it as an unknown attribute. The engine reads and checks the
attribute at deploy and stores the settings with the version; it gives them no meaning.
"""

import json

from .errors import Problem
from .labels import label_of

SETTINGS_NS = "https://yingshang-flow.example/bpmn/settings"
ATTRIBUTE = f"{{{SETTINGS_NS}}}settings"
MAX_BYTES = 16 * 1024


def read_settings(processes: list) -> tuple[dict[str, dict], list[Problem]]:
    """The settings by element id of the deployed processes' elements, and a problem per bad one."""
    settings, problems = {}, []
    for process in processes:
        for el in process.iter():
            raw = el.get(ATTRIBUTE) if isinstance(el.tag, str) else None
            if raw is None:
                continue
            found, why = _parsed(raw)
            if why:
                problems.append(Problem(el.get("id"), f"{label_of(el)} 的环节设置（yf:settings）{why}"))
            elif found:
                settings[el.get("id")] = found
    return settings, problems


def _parsed(raw: str) -> tuple[dict | None, str | None]:
    if len(raw.encode("utf-8")) > MAX_BYTES:
        return None, f"超过 {MAX_BYTES // 1024} KB"
    try:
        value = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        return None, "不是有效的 JSON"
    if not isinstance(value, dict):
        return None, "须为 JSON 对象"
    return value, None
