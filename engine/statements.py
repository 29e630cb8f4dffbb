"""The SQL of the statements every action runs, in the engine's own words.

Named parameters (``:name``) are turned into each driver's style by `engine.store`; parameters
named like dates or JSON columns are bound as SQLAlchemy would bind those columns.
"""

TASK_WITH_INSTANCE = """
SELECT t.id, t.instance_id, t.process_key, t.task_guid, t.element_id, t.lane, t.status, t.assignee,
       t.changed_in_version, i.definition_id, i.version, i.status, i.end_event, i.state
FROM human_task t JOIN process_instance i ON i.id = t.instance_id WHERE t.id = :id"""
# An action that will write the instance locks its row first, so that actions on one instance take
# turns (SQLite's writer is one at a time already). Rows are then read by a statement of their own:
# it sees what the action it waited for committed, the task's row included.
LOCK_TASK_INSTANCE = """
SELECT i.id FROM process_instance i JOIN human_task t ON t.instance_id = i.id WHERE t.id = :id FOR UPDATE OF i"""
INSTANCE = """SELECT id, definition_id, process_key, version, status, end_event, state
FROM process_instance WHERE id = :id"""
INSTANCE_VERSION = "SELECT version FROM process_instance WHERE id = :id"
LATEST_DEFINITION = "SELECT id FROM process_definition WHERE key = :key ORDER BY version DESC LIMIT 1"
SPEC_JSON = "SELECT spec_json FROM process_definition WHERE id = :id"

INSERT_INSTANCE = """
INSERT INTO process_instance (definition_id, process_key, status, end_event, version, state, data,
                              started_by, started_at, updated_at, ended_at)
VALUES (:definition_id, :process_key, :status, :end_event, 1, :state, :data, :actor, :now, :now, :ended_at)
RETURNING id"""
# While the status stays, its columns are left out: SQLite rewrites the index of every column set.
SAVE_STEP = """
UPDATE process_instance SET state = :state, version = :version, data = :data, updated_at = :now
WHERE id = :id AND version = :expected"""
SAVE_ENDED = """
UPDATE process_instance SET state = :state, version = :version, status = :status, end_event = :end_event,
       data = :data, updated_at = :now, ended_at = :ended_at
WHERE id = :id AND version = :expected"""
SET_INSTANCE_DATA = "UPDATE process_instance SET data = :data WHERE id = :id"

COMPLETE_TASK = """
UPDATE human_task SET status = 'completed', completed_at = :now, completed_by = :actor, assignee = :assignee
WHERE id = :id AND status = 'open'"""
CLAIM_TASK = "UPDATE human_task SET assignee = :actor WHERE id = :id AND status = 'open' AND assignee IS NULL"
MOVE_TASK_DUE = "UPDATE human_task SET due_at = :due, changed_in_version = :version WHERE id = :id"
TOUCH_TASK = "UPDATE human_task SET changed_in_version = :version WHERE id = :id"
# After a migration, what a person saw of an open task is no longer what it is.
TOUCH_OPEN_TASKS = """
UPDATE human_task SET changed_in_version = :version WHERE instance_id = :instance AND status = 'open'"""
TASK_COLUMNS = ("instance_id", "process_key", "task_guid", "element_id", "name", "lane", "title", "candidate_unit",
                "candidate_group", "candidate_role", "candidate_user", "assignee", "status", "due_at", "created_at",
                "completed_at", "completed_by", "changed_in_version")
INSERT_TASK = (f"INSERT INTO human_task ({', '.join(TASK_COLUMNS)}) "
               f"VALUES ({', '.join(':' + c for c in TASK_COLUMNS)}) RETURNING id")
OPEN_TASK_GUIDS = "SELECT task_guid FROM human_task WHERE instance_id = :instance AND status = 'open'"
CANCEL_TASK = """
UPDATE human_task SET status = 'cancelled', completed_at = :now
WHERE instance_id = :instance AND task_guid = :guid AND status = 'open' RETURNING id, element_id"""

INSERT_EVENT = """
INSERT INTO event (instance_id, task_id, element_id, kind, actor, at, opinion, data)
VALUES (:instance_id, :task_id, :element_id, :kind, :actor, :at, :opinion, :data)"""

PENDING_TIMER_JOBS = """
SELECT task_guid, due_at FROM due_job WHERE instance_id = :instance AND kind = 'timer' AND status = 'pending'"""
INSERT_TIMER_JOB = """
INSERT INTO due_job (instance_id, kind, task_guid, element_id, due_at, status, payload, attempts)
VALUES (:instance, 'timer', :guid, :element_id, :due, 'pending', :payload, 0)"""


def close_timer_jobs(count: int) -> str:
    """Close `count` pending timer jobs of one instance (:guid0, :guid1 …) in one statement.

    A closed job is no one's any more: a lease a worker took on it is cleared with it.
    """
    guids = ", ".join(f":guid{i}" for i in range(count))
    return f"""
UPDATE due_job SET status = :status, fired_at = :fired_at, leased_by = NULL, lease_until = NULL
WHERE instance_id = :instance AND kind = 'timer' AND status = 'pending' AND task_guid IN ({guids})"""


MOVE_TIMER_JOB = """
UPDATE due_job SET due_at = :due WHERE instance_id = :instance AND task_guid = :guid AND status = 'pending'"""

INSTANCE_DATA = "SELECT data FROM process_instance WHERE id = :id"

# Who holds an open task, changed only if it is still held as the caller read it (a claim or a
# completion that got in first wins). Blank stands for nobody: usernames are never blank.
REASSIGN_TASK = """
UPDATE human_task SET assignee = :assignee, candidate_user = :candidate_user, candidate_unit = :candidate_unit
WHERE id = :id AND status = 'open' AND COALESCE(assignee, '') = :was_assignee
      AND COALESCE(candidate_user, '') = :was_candidate_user AND COALESCE(candidate_unit, '') = :was_candidate_unit"""
TASK_HOLDERS = """
SELECT assignee, candidate_user, candidate_unit, candidate_group, candidate_role FROM human_task WHERE id = :id"""
