"""The engine's queries are answered from its partial indexes, on both databases.

The inbox indexes hold open tasks offered one way, the running-instance index running instances
only; a database uses one only when it can tell from the query that the rows it wants are in it.
Were a query and an index predicate to drift apart, the answers would still be right but would
read the whole table: these tests see that.
"""

from sqlalchemy import func, select

from engine import queries
from engine.models import RUNNING, ProcessInstance

ACTOR = queries.Actor("unit_user", units=("gov_data", "market"), groups=("start_business",),
                      roles=("unit_staff", "office"))


def _plan(platform, statement) -> str:
    """The plan the database makes for `statement`, with the values the statement binds."""
    compiled = statement.compile(platform.db.sa_engine, compile_kwargs={"render_postcompile": True})
    with platform.db.reading() as session:
        conn = session.connection()
        if platform.db.is_sqlite:
            values = tuple(compiled.params[name] for name in compiled.positiontup)
            return "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values))
        # A test database is small enough that scanning it is cheapest: ask whether an index can answer.
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params))


def test_each_inbox_branch_reads_an_inbox_index(platform):
    plan = _plan(platform, select(func.count()).select_from(queries.open_task_ids(ACTOR)))
    branches = len(queries._branches(ACTOR))
    if platform.db.is_sqlite:
        assert "SCAN human_task" not in plan
        assert plan.count("USING INDEX ix_human_task_open_") == branches
    else:
        assert "Seq Scan on human_task" not in plan
        assert plan.count("ix_human_task_open_") == branches


def test_the_inbox_page_reads_an_inbox_index(platform):
    ids = queries.open_task_ids(ACTOR, queries.TaskFilter(process_key="rectification"))
    plan = _plan(platform, select(ids.c.id).order_by(ids.c.id).limit(20))
    assert "SCAN human_task" not in plan and "Seq Scan on human_task" not in plan


def test_instances_per_version_read_the_running_index(platform):
    plan = _plan(platform, select(ProcessInstance.definition_id, func.count())
                 .where(ProcessInstance.status == RUNNING).group_by(ProcessInstance.definition_id))
    assert "ix_process_instance_running" in plan


def test_instances_to_migrate_read_the_running_index(platform):
    plan = _plan(platform, select(ProcessInstance.id).where(ProcessInstance.process_key == "rectification",
                                                            ProcessInstance.status == RUNNING,
                                                            ProcessInstance.definition_id != 1))
    assert "ix_process_instance_running" in plan
