"""Handing an open task to someone else, or back to the people it is offered to.

A mixin of `Engine`. Only the inbox row changes: who holds a task is the projection's business,
never the saved workflow's, so the instance is neither loaded nor given a new version. The
change and its `task_reassigned` event are written in the caller's transaction.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from . import statements as sql
from . import store
from .errors import Conflict
from .models import HumanTask
from .store import Tx, check_seen


@dataclass(frozen=True)
class Holders:
    """Who an open task belongs to: the person holding it, and the person or unit it is offered to."""

    assignee: str | None
    candidate_user: str | None
    candidate_unit: str | None


@dataclass(frozen=True)
class Reassigned:
    task_id: int
    instance_id: int
    element_id: str
    before: Holders
    after: Holders


class Reassignment:
    def reassign(self, session: Session, task_id, actor: str | None, to_user: str | None = None,
                 pool_unit: str | None = None, reason: str | None = None, kind: str = "task_reassigned",
                 expected_version: int | None = None) -> Reassigned:
        """Hand the open task `task_id` to `to_user`, or back to its pool when `to_user` is None.

        To a person: they hold it (its assignee), and a task offered to one person personally is
        offered to them instead. Back to the pool: nobody holds it, and a task offered to one
        person only is offered to the unit `pool_unit` instead, since it would reach nobody else.
        An event of `kind` (task_reassigned, or the operation that asked for it, e.g. task_released)
        records who held it, who does now, why (`reason`) and `actor`. With `expected_version`, the
        task must be unchanged since that instance version, as for a completion.

        Raises TaskNotFound, TaskAlreadyDone, StaleVersion, Conflict (a cancelled task, a task whose
        holders changed meanwhile, or a personal task sent to the pool without `pool_unit`).
        """
        tx = Tx(session)
        row, instance = self._open_task(tx, task_id, lock=True)
        check_seen(row, instance, expected_version)
        assignee, candidate_user, candidate_unit, candidate_group, candidate_role = tx.run(
            sql.TASK_HOLDERS, id=row.id).fetchone()
        before = Holders(assignee, candidate_user, candidate_unit)
        if to_user is not None:
            after = Holders(to_user, to_user if candidate_user else None, candidate_unit)
        elif candidate_user and not (candidate_unit or candidate_group or candidate_role):
            if not pool_unit:
                raise Conflict(f"任务 {row.id} 只交由个人办理，退回待签收时须指定单位")
            after = Holders(None, None, pool_unit)
        else:
            after = Holders(None, None, candidate_unit)
        if after != before:
            changed = tx.run(sql.REASSIGN_TASK, id=row.id, assignee=after.assignee,
                             candidate_user=after.candidate_user, candidate_unit=after.candidate_unit,
                             was_assignee=before.assignee or "", was_candidate_user=before.candidate_user or "",
                             was_candidate_unit=before.candidate_unit or "")
            if changed.rowcount != 1:
                raise Conflict(f"任务 {row.id} 刚被他人签收或办理，请刷新后重试")
            data = {"from": before.assignee or before.candidate_user, "to": after.assignee,
                    "unit": None if after.assignee else after.candidate_unit, "reason": reason,
                    "before": before.__dict__, "after": after.__dict__}
            tx.insert_events([store.event(row.instance_id, kind, actor, self.clock(), row.element_id,
                                          row.id, reason, data)])
            tx.in_step(HumanTask, row.id, after.__dict__)
        return Reassigned(row.id, row.instance_id, row.element_id, before, after)
