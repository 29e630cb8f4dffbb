"""Statuses that only move forward: a ladder of rungs, climbed with one conditional UPDATE.

A case's escalation (临近提醒 → 超期督办 → 移交) is driven by timers, and timers fire in whatever
order the workers reach them: a late deadline timer may fire after the handover timer, on another
worker, in another transaction. So a rung is never written as a plain assignment. `Ladder.climb`
moves a row up to a rung only if the row stands lower, in one statement:

    UPDATE … SET escalation = 'overdue', overdue_at = :at
    WHERE id = :id AND (CASE escalation WHEN 'reminded' THEN 1 … ELSE 0 END) < 2

and tells whether it moved, so the rung's effects (its notice, its history entry) follow the
climb that reached it and nothing else. The check and the write are one statement: PostgreSQL
re-reads the predicate on the newest row version after waiting for a concurrent writer (READ
COMMITTED), and SQLite runs one writer at a time, so no interleaving of transactions can move a
row down or reach one rung twice. A rung's time stamp is written by the climb that reaches it, so a
late or repeated timer never moves it either.

Moving a row back down (a new deadline starts the ladder again) is a deliberate domain action,
not a timer's; it stays a plain assignment in the action that decides it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.attributes import set_committed_value


@dataclass(frozen=True)
class Ladder:
    """An ordered status column (None below every rung) and the time stamp each rung sets."""

    column: InstrumentedAttribute
    rungs: tuple[str, ...]
    stamps: dict[str, InstrumentedAttribute] = field(default_factory=dict)

    def rank(self, value: str | None) -> int:
        """0 for None (or a value off the ladder), then 1, 2 … for the rungs from the lowest."""
        return self.rungs.index(value) + 1 if value in self.rungs else 0

    def reached(self, row, rung: str) -> bool:
        """Whether `row` (as loaded) stands at `rung` or above."""
        return self.rank(getattr(row, self.column.key)) >= self.rank(rung)

    def climb(self, session: Session, row, rung: str, at: datetime) -> bool:
        """Move `row` up to `rung` (stamping `at`) unless it already stands there or higher.

        Returns True when this call moved it; the caller then does what reaching the rung means.
        On False the row's ladder columns are expired, so reading them shows where it stands now.
        Raises ValueError for a rung that is not on the ladder.
        """
        if rung not in self.rungs:
            raise ValueError(f"{rung!r} is not a rung of {self.column}")
        model = self.column.class_
        rank = case({name: n for n, name in enumerate(self.rungs, start=1)}, value=self.column, else_=0)
        values = {self.column.key: rung}
        if rung in self.stamps:
            values[self.stamps[rung].key] = at
        moved = session.execute(
            update(model).where(model.id == row.id, rank < self.rank(rung)).values(values)
            .execution_options(synchronize_session=False)).rowcount == 1
        if moved:
            for key, value in values.items():
                set_committed_value(row, key, value)
        else:
            session.expire(row, [self.column.key, *(stamp.key for stamp in self.stamps.values())])
        return moved
