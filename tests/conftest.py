"""Fixtures: a platform on SQLite and on PostgreSQL, each with the seeds' organisation and users.

The PostgreSQL run is never skipped: when the server cannot be reached the tests fail.
"""

import os
import shutil

import pytest
from sqlalchemy import text

from engine.state import CODEC, dump_state, load_state
from workflows.demo import _ensure_users
from workflows.platform import Platform

PG_SERVER = os.environ.get("YSFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# Each test run works in a schema of its own, so runs side by side never see each other's rows.
PG_SCHEMA = f"ysflow_test_{os.getpid()}"
PG_URL = f"{PG_SERVER}?options=-csearch_path%3D{PG_SCHEMA}"
PG_BASE_SCHEMA = f"{PG_SCHEMA}_base"
# In the order they can be filled in (each refers only to those before it).
ORGANISATION_TABLES = ("unit", "work_group", "work_group_member", "app_user", "user_role")
RUNTIME_TABLES = ("event", "due_job", "attachment", "human_task", "policy_measure", "rectification_case",
                  "api_token", "calendar_override", "calendar_year")
BACKENDS = ["sqlite", "postgresql"]


def build_base(platform: Platform) -> None:
    platform.init_db()
    with platform.db.transaction() as session:
        _ensure_users(session)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "base.sqlite3"
    platform = Platform(f"sqlite:///{path}")
    build_base(platform)
    platform.db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_base():
    platform = Platform(PG_URL)
    with platform.db.sa_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    build_base(platform)
    with platform.db.sa_engine.begin() as conn:
        marks = {table: conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
                 for table in ("process_definition",)}
        # The organisation as built, kept in a schema of its own (the test schema must hold only
        # the product's tables) and put back before each test, whatever the test changed.
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_BASE_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_BASE_SCHEMA}"))
        for table in ORGANISATION_TABLES:
            conn.execute(text(f"CREATE TABLE {PG_BASE_SCHEMA}.{table} AS SELECT * FROM {table}"))
    platform.db.dispose()
    yield marks
    platform = Platform(PG_URL)
    with platform.db.sa_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_BASE_SCHEMA} CASCADE"))
    platform.db.dispose()


def _reset_pg(platform: Platform, marks: dict) -> None:
    with platform.db.sa_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(RUNTIME_TABLES)}, process_instance RESTART IDENTITY CASCADE"))
        conn.execute(text(f"TRUNCATE {', '.join(reversed(ORGANISATION_TABLES))} CASCADE"))
        for table in ORGANISATION_TABLES:
            conn.execute(text(f"INSERT INTO {table} SELECT * FROM {PG_BASE_SCHEMA}.{table}"))
        conn.execute(text("DELETE FROM process_definition WHERE id > :m"), {"m": marks["process_definition"]})


def same_as_saved(workflow, state: bytes) -> None:
    """On every reuse of a kept workflow: it saves to exactly the stored bytes, and a fresh decode of them
    saves to the same state (data keys may come back in another order, as with SpiffWorkflow's own reader)."""
    assert dump_state(workflow) == state, "a kept workflow differs from what was saved"
    fresh = load_state(state, workflow.spec, workflow.subprocess_specs, workflow.script_engine)
    assert CODEC.decode_dict(dump_state(fresh)) == CODEC.decode_dict(state), "the state does not decode to itself"


def make_platform(backend: str, request, tmp_path, clock=None) -> Platform:
    if backend == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        platform = Platform(f"sqlite:///{path}")
    else:
        marks = request.getfixturevalue("pg_base")
        platform = Platform(PG_URL)
        _reset_pg(platform, marks)
    platform.engine.live.verify = same_as_saved
    return platform.at(clock) if clock else platform


@pytest.fixture(params=BACKENDS)
def platform(request, tmp_path):
    """The product on each database, with organisation, users and the shipped flows deployed."""
    made = make_platform(request.param, request, tmp_path)
    yield made
    made.db.dispose()


@pytest.fixture
def sqlite_platform(request, tmp_path):
    made = make_platform("sqlite", request, tmp_path)
    yield made
    made.db.dispose()


@pytest.fixture
def pg_platform(request, tmp_path):
    made = make_platform("postgresql", request, tmp_path)
    yield made
    made.db.dispose()
