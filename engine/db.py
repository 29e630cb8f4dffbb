"""The database: one SQLAlchemy engine and a transaction per user action."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from . import sqlite
from .checkpoint import Checkpointer

DEFAULT_URL = "sqlite:///instance/ysflow.sqlite3"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Database:
    """Owns the connection pool; `transaction()` is the unit of one user action."""

    def __init__(self, url: str = DEFAULT_URL, echo: bool = False):
        self.url = normalise_url(url)
        kwargs = {"echo": echo, "future": True}
        if self.url.startswith("postgresql"):
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.sa_engine = create_engine(self.url, **kwargs)
        self._read_engine = self.sa_engine
        self._checkpointer = self._writer = None
        if self.is_sqlite:
            # Writers take SQLite's write lock at BEGIN; readers use a second pool that does not.
            sqlite.tune(self.sa_engine, immediate=True)
            self._writer = sqlite.Writer(self.sa_engine)
            self._read_engine = create_engine(self.url, **kwargs)
            sqlite.tune(self._read_engine, immediate=False)
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
        """Yield a session; commit when the block ends, roll everything back on any error.

        On SQLite the session writes through the process's writer connection (see engine.sqlite).
        """
        if self._writer is None:
            yield from _committed(self._sessions())
            return
        if self._checkpointer is not None:
            self._checkpointer.ensure_running()
        with self._writer.connection() as conn:
            # The transaction is begun here, on the driver connection, and committed here. The
            # engine's own statements run on that connection (engine.store) and need nothing
            # more; SQLAlchemy's own transaction begins only if the session is used, and then
            # commits this one (engine.sqlite does not begin twice).
            driver = conn.connection.driver_connection
            sqlite.run_on_driver(driver, "BEGIN IMMEDIATE")
            session = self._sessions(bind=conn)
            try:
                yield session
                if _in_use(session):
                    session.commit()
                if driver.in_transaction:
                    sqlite.run_on_driver(driver, "COMMIT")
            except BaseException:
                if session.in_transaction():
                    session.rollback()
                if driver.in_transaction:
                    sqlite.run_on_driver(driver, "ROLLBACK")
                raise
            finally:
                if _in_use(session):
                    session.close()  # a session never used holds nothing to let go of
                # The connection goes back to the other threads: this session may not reach it again.
                session.bind = None

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
        if self._writer is not None:
            self._writer.close()
        self.sa_engine.dispose()
        self._read_engine.dispose()


def _in_use(session: Session) -> bool:
    """Whether the session began a transaction or holds objects (changed ones among them)."""
    return session.in_transaction() or bool(session.identity_map) or bool(session.new) or bool(session.deleted)


def _committed(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
