"""The database: one SQLAlchemy engine and a transaction per user action."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.orm import Session, sessionmaker

from .checkpoint import BACKSTOP_PAGES, Checkpointer

DEFAULT_URL = "sqlite:///instance/ysflow.sqlite3"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _tune_sqlite(sa_engine: SAEngine, immediate: bool) -> None:
    @event.listens_for(sa_engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let pysqlite leave transactions to us so BEGIN IMMEDIATE takes the write lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cur.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(sa_engine, "begin")
    def _on_begin(conn):
        conn.connection.driver_connection.execute(begin)


class Database:
    """Owns the connection pool; `transaction()` is the unit of one user action."""

    def __init__(self, url: str = DEFAULT_URL, echo: bool = False):
        self.url = normalise_url(url)
        kwargs = {"echo": echo, "future": True}
        if self.url.startswith("postgresql"):
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.sa_engine = create_engine(self.url, **kwargs)
        self._read_engine = self.sa_engine
        self._checkpointer = None
        if self.is_sqlite:
            # Writers take SQLite's write lock at BEGIN; readers use a second pool that does not.
            _tune_sqlite(self.sa_engine, immediate=True)
            self._read_engine = create_engine(self.url, **kwargs)
            _tune_sqlite(self._read_engine, immediate=False)
            path = self.sa_engine.url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                self._checkpointer = Checkpointer(path)
        self._sessions = sessionmaker(self.sa_engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.sa_engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.sa_engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield a session; commit when the block ends, roll everything back on any error."""
        if self._checkpointer is not None:
            self._checkpointer.ensure_running()
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Yield a session for queries only; nothing it does is committed."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            # close() ends the transaction but, unlike rollback(), leaves loaded objects readable.
            session.close()

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.sa_engine.dispose()
        self._read_engine.dispose()
