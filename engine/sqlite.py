"""SQLite as the embedded database: its settings, and the one connection a process writes through.

SQLite lets one connection write at a time. Instead of a pool of writer connections that wait
on each other inside the database (busy-waiting, and each action paying a pool checkout), a
process keeps one writer connection and its threads take it in turn. Writers in other processes
still wait on SQLite's own lock, taken at BEGIN IMMEDIATE.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import DBAPIError, OperationalError

from .checkpoint import BACKSTOP_PAGES, LOG_SIZE_LIMIT

BUSY_TIMEOUT_S = 10


def tune(sa_engine: SAEngine, immediate: bool) -> None:
    """WAL, foreign keys, a busy timeout; writers take the write lock when their transaction begins."""

    @event.listens_for(sa_engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let pysqlite leave transactions to us so BEGIN IMMEDIATE takes the write lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        # The writer starts the log over once it is checkpointed, and only then can its file be cut back.
        cur.execute(f"PRAGMA journal_size_limit={LOG_SIZE_LIMIT}")
        cur.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(sa_engine, "begin")
    def _on_begin(conn):
        driver = conn.connection.driver_connection
        if not driver.in_transaction:  # an action's transaction is begun on the driver (engine.db)
            driver.execute(begin)


def run_on_driver(driver: sqlite3.Connection, statement: str) -> None:
    """BEGIN IMMEDIATE, COMMIT or ROLLBACK on the driver; its errors come out as SQLAlchemy's, as from any statement."""
    try:
        driver.execute(statement)
    except sqlite3.Error as err:
        raise DBAPIError.instance(statement, None, err, sqlite3.Error) from err


class Writer:
    """The process's writer connection, lent to one thread at a time."""

    def __init__(self, sa_engine: SAEngine):
        self._engine = sa_engine
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._conn: Connection | None = None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """The writer connection, idle, for the length of the block.

        Raises OperationalError ("database is locked") when other threads keep it longer than
        SQLite's busy timeout, and RuntimeError when this thread already has it: a write
        transaction cannot open inside another.
        """
        me = threading.get_ident()
        if self._owner == me:
            raise RuntimeError("同一线程中已有未结束的写事务")
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        self._owner = me
        try:
            conn = self._conn
            if conn is None or conn.closed or conn.invalidated:
                conn = self._conn = self._engine.connect()
            else:  # never lend a transaction someone left open, SQLAlchemy's or the driver's
                if conn.in_transaction():
                    conn.rollback()
                if conn.connection.driver_connection.in_transaction:
                    run_on_driver(conn.connection.driver_connection, "ROLLBACK")
            yield conn
        finally:
            self._owner = None
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
