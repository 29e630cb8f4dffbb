"""SQLite: a process writes through one connection, which its threads take in turn."""

import os
import sqlite3
import threading
from contextlib import closing

import pytest
from sqlalchemy import func, select, text

from engine import sqlite as engine_sqlite
from engine.db import Database
from engine.models import ProcessInstance
from workflows.services import start_process

from .helpers import CASE, RECTIFIED, complete, start, task_of


def test_threads_writing_at_once_all_get_through(sqlite_platform):
    cases = [start(sqlite_platform, "inspector", "rectification", CASE) for _ in range(8)]
    errors = []

    def rectify(out):
        try:
            complete(sqlite_platform, "unit", task_of(out, "rectify"), RECTIFIED)
        except Exception as err:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(err)

    threads = [threading.Thread(target=rectify, args=(out,)) for out in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with sqlite_platform.db.reading() as session:
        versions = session.scalars(select(ProcessInstance.version)).all()
    assert sorted(versions) == [2] * 8


def test_a_write_transaction_cannot_open_inside_another_in_one_thread(sqlite_platform):
    with sqlite_platform.db.transaction(), pytest.raises(RuntimeError):
        with sqlite_platform.db.transaction():
            pass


def test_a_failed_transaction_leaves_the_writer_ready_for_the_next(sqlite_platform):
    with pytest.raises(RuntimeError), sqlite_platform.db.transaction() as session:
        start_count = session.scalar(select(func.count()).select_from(ProcessInstance))
        start_process(sqlite_platform, session, "inspector", "rectification", dict(CASE))
        raise RuntimeError("the caller's own write failed")
    out = start(sqlite_platform, "inspector", "rectification", CASE)
    with sqlite_platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == start_count + 1
    assert out.new_tasks


def test_a_session_cannot_reach_the_writer_after_its_transaction(sqlite_platform):
    from sqlalchemy.exc import UnboundExecutionError

    with sqlite_platform.db.transaction() as session:
        session.execute(text("SELECT 1"))
    with pytest.raises(UnboundExecutionError):
        session.execute(text("SELECT 1"))


def test_a_writer_locked_out_by_another_process_gets_a_clear_error_and_recovers(tmp_path, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from engine import sqlite as engine_sqlite
    from engine.db import Database

    monkeypatch.setattr(engine_sqlite, "BUSY_TIMEOUT_S", 0)
    db = Database(f"sqlite:///{tmp_path}/locked.sqlite3")
    try:
        with db.transaction() as session:
            session.connection().exec_driver_sql("CREATE TABLE note (text TEXT)")
        other = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="database is locked"), db.transaction():
            pass
        other.execute("ROLLBACK")
        other.close()
        with db.transaction() as session:
            session.connection().exec_driver_sql("INSERT INTO note VALUES ('written')")
        with db.reading() as session:
            assert session.connection().exec_driver_sql("SELECT text FROM note").scalars().all() == ["written"]
    finally:
        db.dispose()


def test_the_log_file_is_cut_back_once_checkpointed(tmp_path, monkeypatch):
    """A burst of writes grows the write-ahead log; the next write after a checkpoint shrinks its file."""
    monkeypatch.setattr(engine_sqlite, "LOG_SIZE_LIMIT", 64 * 1024)
    path = tmp_path / "log.sqlite3"
    db = Database(f"sqlite:///{path}")
    try:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE burst (b BLOB)"))
            for _ in range(300):
                session.execute(text("INSERT INTO burst VALUES (randomblob(3000))"))
        wal = f"{path}-wal"
        assert os.path.getsize(wal) > 512 * 1024
        with closing(sqlite3.connect(path)) as other:
            assert other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0] == 0
        with db.transaction() as session:
            session.execute(text("INSERT INTO burst VALUES (randomblob(10))"))
        assert os.path.getsize(wal) <= 64 * 1024
    finally:
        db.dispose()
