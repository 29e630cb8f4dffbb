"""Running the statements of engine.statements straight on the session's own database connection.

An action runs the same handful of statements every time, and going through SQLAlchemy's
execution machinery for each costs several times what the database takes to run it. These run
on the DBAPI connection under the caller's session, inside its transaction, so they commit or
roll back with everything else the caller wrote. Values are bound as SQLAlchemy would bind them
(its own bind processors for dates and JSON), so every other reader sees the same rows; driver
errors come out as SQLAlchemy's exceptions, as from any other statement. ORM objects of the same
rows that the caller already holds are brought in step, so nothing the session shows goes stale.
"""

import re
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import DateTime
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .clock import as_utc
from .errors import StaleVersion
from .statements import (
    INSERT_EVENT,
    INSTANCE,
    INSTANCE_DATA,
    LOCK_TASK_INSTANCE,
    PENDING_TIMER_JOBS,
    TASK_WITH_INSTANCE,
)


@dataclass
class InstanceRow:
    """What an action needs of an instance row: its identity, its version and its saved state."""

    id: int | None
    definition_id: int
    process_key: str
    version: int
    status: str
    end_event: str | None
    state: bytes
    data: dict | None = None
    ended_at: datetime | None = None


@dataclass
class OpenedTask:
    """A human_task row an action opened, as the caller's records and replies need it."""

    id: int
    instance_id: int
    process_key: str
    task_guid: str
    element_id: str
    name: str
    lane: str | None
    title: str | None
    candidate_unit: str | None
    candidate_group: str | None
    candidate_role: str | None
    candidate_user: str | None
    assignee: str | None
    status: str
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    changed_in_version: int | None = None


@dataclass
class TaskRow:
    """What an action needs of a human_task row, read together with its instance."""

    id: int
    instance_id: int
    process_key: str
    task_guid: str
    element_id: str
    lane: str | None
    status: str
    assignee: str | None
    changed_in_version: int | None  # the instance version in which the task last changed


# Parameters that need binding as a column of that kind would be; all others go to the driver as they are.
_DATES = {"now", "at", "due", "ended_at", "fired_at", "due_at", "created_at", "completed_at"}
_JSON = {"data", "payload"}
_NAMED = re.compile(r"(?<!:):(\w+)")


class Dialect:
    """The statements above in one database's words, and its way of binding and reading values."""

    def __init__(self, dialect):
        self.dialect = dialect
        self.errors = dialect.loaded_dbapi.Error
        self._pyformat = dialect.loaded_dbapi.paramstyle in ("pyformat", "format")
        self._sql: dict[str, tuple] = {}
        impl = DateTime(timezone=True).dialect_impl(dialect)
        self.bind_date = _sqlite_datetime if dialect.name == "sqlite" else impl.bind_processor(dialect)
        self.read_date = impl.result_processor(dialect, None)
        self._last_date: tuple = (None, None)  # the last datetime bound, and what it was bound as
        self.row_locks = dialect.name != "sqlite"

    def prepare(self, sql: str) -> tuple:
        """The statement in this driver's words, with the names of its date and JSON parameters."""
        found = self._sql.get(sql)
        if found is None:
            names = set(_NAMED.findall(sql))
            dates = tuple(names & _DATES) if self.bind_date is not None else ()
            found = self._sql[sql] = (_NAMED.sub(r"%(\1)s", sql) if self._pyformat else sql, dates,
                                      tuple(names & _JSON))
        return found

    def bind(self, params: dict, dates: tuple, json: tuple) -> dict:
        """`params` (a dictionary of the caller's own) with dates and JSON values as the driver takes them."""
        for key in dates:
            value = params[key]
            if value is not None:
                # An action stamps all its rows with one `now`: write that object out once.
                last = self._last_date
                if value is not last[0]:
                    last = self._last_date = (value, self.bind_date(value))
                params[key] = last[1]
        for key in json:
            value = params[key]
            if value is not None:
                params[key] = orjson.dumps(value).decode()
        return params


_dialects: dict[str, Dialect] = {}


def _sqlite_datetime(value: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite (its wall-clock fields, to the microsecond)."""
    return value.isoformat(" ", "microseconds")[:26]


class Tx:
    """One action's transaction: the caller's session, and its connection for the statements above."""

    def __init__(self, session: Session):
        if session.new or session.dirty or session.deleted:
            session.flush()  # what the caller added goes first, as it would before any query
        self.session = session
        bind = session.bind
        # On SQLite the session is bound to the writer connection, already in the action's
        # transaction (engine.db); elsewhere the session's own connection is the one.
        self.conn: Connection = bind if isinstance(bind, Connection) else session.connection()
        self.raw = self.conn.connection.driver_connection
        name = self.conn.dialect.name
        self.dialect = _dialects.get(name) or _dialects.setdefault(name, Dialect(self.conn.dialect))

    def run(self, sql: str, **params):
        """Run one statement and return the driver's cursor. Raises SQLAlchemy's DBAPIError subclasses."""
        text, dates, json = self.dialect.prepare(sql)
        bound = self.dialect.bind(params, dates, json)
        try:
            return self.raw.execute(text, bound)
        except self.dialect.errors as err:
            raise self._wrapped(text, bound, err) from err

    def run_many(self, sql: str, rows: list[dict]) -> None:
        """Run one statement for each row; the rows are bound in place."""
        if not rows:
            return
        text, dates, json = self.dialect.prepare(sql)
        bound = [self.dialect.bind(row, dates, json) for row in rows]
        try:
            self.raw.cursor().executemany(text, bound)
        except self.dialect.errors as err:
            raise self._wrapped(text, bound, err) from err

    def scalar(self, sql: str, **params):
        row = self.run(sql, **params).fetchone()
        return row[0] if row is not None else None

    def _wrapped(self, text: str, params, err) -> DBAPIError:
        gone = self.dialect.dialect.is_disconnect(err, self.conn.connection.dbapi_connection, None)
        if gone:
            self.conn.invalidate(err)
        return DBAPIError.instance(text, params, err, self.dialect.errors, connection_invalidated=gone,
                                   dialect=self.dialect.dialect)

    # -- the engine's rows ---------------------------------------------------------------------

    def task_with_instance(self, task_id: int, lock: bool = False) -> tuple[TaskRow, InstanceRow] | None:
        """The task's row and its instance's; with `lock`, the instance row is locked until the end."""
        if lock and self.dialect.row_locks:
            self.run(LOCK_TASK_INSTANCE, id=task_id)
        row = self.run(TASK_WITH_INSTANCE, id=task_id).fetchone()
        if row is None:
            return None
        task = TaskRow(*row[:9])
        return task, InstanceRow(task.instance_id, row[9], task.process_key, *row[10:])

    def instance(self, instance_id) -> InstanceRow | None:
        row = self.run(INSTANCE, id=instance_id).fetchone()
        return InstanceRow(*row) if row is not None else None

    def instance_data(self, instance_id) -> dict:
        value = self.scalar(INSTANCE_DATA, id=instance_id)
        return orjson.loads(value) if isinstance(value, str | bytes) else dict(value or {})

    def pending_timer_jobs(self, instance_id) -> dict:
        """Task guid → due time (aware UTC) of the instance's pending timer jobs."""
        read = self.dialect.read_date
        return {guid: as_utc(read(due) if read is not None and isinstance(due, str) else due)
                for guid, due in self.run(PENDING_TIMER_JOBS, instance=instance_id)}

    def insert_events(self, events: list[dict]) -> None:
        self.run_many(INSERT_EVENT, events)

    def in_step(self, model, ident, values: dict) -> None:
        """Bring the session's object of that row, if it holds one, in step with what was written."""
        if not self.session.identity_map:
            return
        found = self.session.identity_map.get(self.session.identity_key(model, (ident,)))
        if found is not None:
            for key, value in values.items():
                set_committed_value(found, key, value)


def check_seen(row: TaskRow, instance: InstanceRow, expected: int | None) -> None:
    """Raises StaleVersion unless the task is as it was at the instance version `expected`."""
    if expected is None or expected == instance.version:
        return
    changed = row.changed_in_version
    if expected > instance.version or changed is None or changed > expected:
        raise StaleVersion(instance.id, expected, instance.version)

def event(instance_id, kind: str, actor, at, element_id=None, task_id=None, opinion=None, data=None) -> dict:
    """One row for INSERT_EVENT; every row has every column, so a batch is one statement."""
    return {"instance_id": instance_id, "task_id": task_id, "element_id": element_id, "kind": kind,
            "actor": actor, "at": at, "opinion": opinion, "data": data if data is not None else {}}
