"""Every branch of an inbox query is answered from an inbox index, on both databases.

The inbox indexes are partial (open tasks offered one way); a database uses one only when it can
tell from the query that the rows it wants are in it. Were a query or an index predicate to drift
apart, the inbox would still be right but would read the whole task table: these tests see that.
"""

from sqlalchemy import func, select, text

from engine import queries

ACTOR = queries.Actor("unit_user", units=("gov_data", "market"), groups=("start_business",),
                      roles=("unit_staff", "office"))


def _plan(platform, statement) -> str:
    sql = str(statement.compile(platform.db.sa_engine, compile_kwargs={"literal_binds": True}))
    with platform.db.reading() as session:
        if platform.db.is_sqlite:
            return "\n".join(row[3] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        # A test database is small enough that scanning it is cheapest; ask whether an index can answer.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in session.execute(text("EXPLAIN " + sql)))


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
