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

import time

from SpiffWorkflow.util.task import TaskState

from .errors import ExecutionFailed
from .labels import spec_label

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


class StepBudget:
    """How much automatic work one call of the engine may do, across all its scripts and gateways.

    Each script and condition has a budget of its own (engine.sandbox); a loop of automatic tasks
    with no wait state in it (script → gateway → script) would still run for ever, one budgeted
    evaluation after another. The budget counts the automatic tasks run and the thread's CPU time.
    """

    def __init__(self, max_tasks: int = 10_000, max_seconds: float = 5.0):
        self.max_tasks, self.max_seconds = max_tasks, max_seconds
        self.run = 0
        self.started = time.thread_time()

    def before(self, will_complete_task):
        """`will_complete_task`, after checking that one more task is within the budget."""

        def check(task):
            self.run += 1
            if self.run > self.max_tasks:
                raise ExecutionFailed(f"{spec_label(task.task_spec)} 所在的自动环节循环没有结束：本次办理已自动执行 "
                                      f"{self.max_tasks} 个环节", getattr(task.task_spec, "bpmn_id", None))
            if time.thread_time() - self.started > self.max_seconds:
                raise ExecutionFailed(f"{spec_label(task.task_spec)} 所在的自动环节运行超过 {self.max_seconds:g} 秒，"
                                      "已停止", getattr(task.task_spec, "bpmn_id", None))
            will_complete_task(task)

        return check
