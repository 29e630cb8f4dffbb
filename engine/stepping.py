"""Running a workflow's automatic tasks as SpiffWorkflow's `do_engine_steps` does, with fewer tree walks.

SpiffWorkflow's loop finds the READY tasks by walking the whole task tree from the root on every
round, including the last one that finds nothing, and the walks cost more than the gateways and
events they find. The task dictionary holds every task of a workflow, so the engine looks there
first and lets the walk decide only what the dictionary cannot:

- no automatic task is READY: there is nothing to run, as the walk would find;
- exactly one is: it runs, once its ancestors show the walk would have reached it (the walk
  descends only into definite and finished tasks, and not deeper than `WALK_DEPTH`);
- several are: their order matters (each may change what the next one sees), so the walk
  orders them, exactly as SpiffWorkflow does;
- the workflow has subprocesses: SpiffWorkflow steps it itself, from there to the end.

Like SpiffWorkflow's loop, it goes on while anything ran, then refreshes timers.
"""

from SpiffWorkflow.util.task import TaskState

WALK_DEPTH = 1000  # SpiffWorkflow's task iterator descends no deeper than this


def do_engine_steps(workflow, will_complete_task) -> None:
    """Run READY automatic tasks until none is left; `will_complete_task` is called before each."""
    while True:
        if workflow.subprocesses:
            workflow.do_engine_steps(will_complete_task=will_complete_task)
            return
        ready = automatic_ready(workflow)
        if not ready:
            break
        for task in ready:
            will_complete_task(task)
            task.run()
    workflow.refresh_timers()


def automatic_ready(workflow) -> list:
    """The READY tasks that are not user tasks, in the order SpiffWorkflow's walk lists them."""
    found = [t for t in workflow.tasks.values() if t._state == TaskState.READY and not t.task_spec.manual]
    if not found or (len(found) == 1 and _walk_reaches(workflow, found[0])):
        return found
    return [t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual]


def _walk_reaches(workflow, task) -> bool:
    """Whether a walk from the root for READY tasks comes to `task`."""
    tasks, depth = workflow.tasks, 0
    while task._parent is not None:
        parent = tasks.get(task._parent)
        depth += 1
        # The walk goes down through each task's list of children, into definite and finished tasks only.
        if parent is None or task.id not in parent._children or parent._state < TaskState.FUTURE \
                or depth >= WALK_DEPTH:
            return False
        task = parent
    return task is workflow.task_tree
