"""Lanes are roles: each lane name resolves, from an instance's data, to who may act.

Admins may draw new diagrams with these lane names; a lane not listed here is refused at
deploy time, naming the element that uses it.
"""

from engine import Assignment, Problem

LANE_LABELS = {
    "lead_unit": "牵头单位",
    "group_leader": "专题组/指标组组长",
    "office": "领导小组办公室",
    "legality_reviewer": "合法性审核（司法局）",
    "competition_reviewer": "公平竞争审查（市场监管局）",
    "inspector": "督查人员",
    "responsible_unit": "责任单位",
    "unit_head": "责任单位负责人",
    "discipline": "纪委监委",
}


def _title(data: dict) -> str | None:
    if data.get("case_no"):
        return f"{data['case_no']} {str(data.get('description', ''))[:40]}"
    title = data.get("title")
    return str(title)[:300] if title else None


def assign_lane(lane: str | None, element_id: str, process_key: str, data: dict) -> Assignment:
    """Who may act on a task in `lane`, given the instance's data."""
    title = _title(data)
    if lane == "lead_unit":
        # 退回修改 goes back to the person who drafted the measure.
        return Assignment(user=data.get("drafter"), unit=None if data.get("drafter") else data.get("lead_unit"),
                          title=title)
    if lane == "group_leader":
        return Assignment(group=data.get("group_code"), role="group_leader", title=title)
    if lane == "responsible_unit":
        return Assignment(unit=data.get("responsible_unit"), due_at=data.get("due_at"), title=title)
    if lane == "unit_head":
        return Assignment(unit=data.get("responsible_unit"), role="unit_head", title=title)
    if lane == "inspector":
        return Assignment(user=data.get("inspector"), title=title)
    if lane in ("office", "legality_reviewer", "competition_reviewer", "discipline"):
        return Assignment(role=lane, title=title)
    return Assignment(role="admin", title=title)


def check_lanes(parsed, forms) -> list[Problem]:
    """Deploy check: every user task sits in a lane the domain can resolve."""
    problems = []
    for task in parsed.user_tasks:
        if task.lane is None:
            problems.append(Problem(task.element_id, "用户任务必须放在泳道中（泳道名即角色）"))
        elif task.lane not in LANE_LABELS:
            known = "、".join(LANE_LABELS)
            problems.append(Problem(task.element_id, f"泳道 {task.lane} 无法解析为角色；可用：{known}"))
    return problems
