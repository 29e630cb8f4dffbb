"""Parallel and inclusive joins that count only the tokens of their current round.

SpiffWorkflow records a token reaching a join as a task of the join's spec whose parent has
completed, and looks for such tasks anywhere in the tree. Inside a loop (规范性文件: both reviews,
one fails, 修改举措, both reviews again) the tree still holds the previous round's arrivals, so a
join fires as soon as the branch that arrived last time arrives again, with last round's data,
or never fires at all. A join's firing consumes the tokens it was waiting for: each later round
runs below the task that fired, so the arrivals that count for a join are those below its latest
firing on the way to the root, and not the ones of a round already finished.

The classes keep SpiffWorkflow's names, so the stored specs of every deployed version load as
these and a running instance is joined correctly from its next step on.
"""

from copy import deepcopy

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway as StockInclusiveGateway
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway as StockParallelGateway
from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _latest_firing(my_task):
    """The nearest ancestor of `my_task` that is a completed task of the same join: the last firing."""
    task = my_task.parent
    while task is not None:
        if task.task_spec is my_task.task_spec and task.state == TaskState.COMPLETED:
            return task
        task = task.parent
    return None


def _this_round(my_task) -> list:
    """The other tasks of `my_task`'s join that belong to its round: not earlier rounds, not its ancestors."""
    firing = _latest_firing(my_task)
    found = []
    for task in my_task.workflow.tasks.values():
        if task is my_task or task.task_spec is not my_task.task_spec or my_task.is_descendant_of(task):
            continue
        if firing is not None and not task.is_descendant_of(firing):
            continue  # a token of a round that an earlier firing already consumed
        found.append(task)
    return found


def _arrived(task) -> bool:
    return task.parent is not None and task.parent.state == TaskState.COMPLETED


def _join_round(my_task) -> None:
    """Give the firing join the data of its round's branches."""
    arrivals = [t for t in _this_round(my_task) if _arrived(t) and t.has_state(TaskState.FINISHED_MASK)]
    for task in arrivals:
        if task.has_state(TaskState.COMPLETED):
            task._drop_children(force=True)  # a round re-run after a reset; as SpiffWorkflow does
    merged = merged_branches([t.parent for t in arrivals] + [my_task.parent])
    # In the order of the parent's keys, as a saved task's data comes back when it is loaded.
    ordered = {k: merged[k] for k in my_task.parent.data if k in merged}
    ordered.update((k, v) for k, v in merged.items() if k not in ordered)
    my_task.data = ordered


def merged_branches(branches: list) -> dict:
    """The data of the split the branches started from, with each branch's changes applied in turn.

    A branch carries all the data of the path before it, including values that another branch
    changes in this round (a review's result from the last round); only what a branch itself
    changed counts, the branch that finished last winning where two changed the same value.
    """
    base = _common_ancestor(branches).data
    data = deepcopy(base)
    for branch in sorted(branches, key=lambda t: t.last_state_change):
        for key, value in branch.data.items():
            if key not in base or base[key] != value:
                data[key] = deepcopy(value)
    return data


def _common_ancestor(tasks: list):
    paths = []
    for task in tasks:
        path = []
        while task is not None:
            path.append(task)
            task = task.parent
        paths.append(path[::-1])
    common = paths[0][0]
    for nodes in zip(*paths, strict=False):
        if any(n is not nodes[0] for n in nodes):
            break
        common = nodes[0]
    return common


class ParallelGateway(StockParallelGateway):
    """A parallel join that waits for one token on every incoming flow of its own round."""

    def _run_hook(self, my_task):
        _join_round(my_task)
        return True

    def _check_threshold_unstructured(self, my_task):
        waiting = set(self.inputs)
        if _arrived(my_task):
            waiting.discard(my_task.parent.task_spec)
        for task in _this_round(my_task):
            if task.is_descendant_of(my_task):
                # A flow that reaches the join only through the join itself (a loop into it) is not
                # waited for on the first pass; SpiffWorkflow's rule, kept.
                _discard_input_above(task, waiting)
            elif _arrived(task):
                waiting.discard(task.parent.task_spec)
        return not waiting


def _discard_input_above(task, waiting: set) -> None:
    while task is not None:
        if task.task_spec in waiting:
            waiting.discard(task.task_spec)
            return
        task = task.parent


class InclusiveGateway(StockInclusiveGateway):
    """An inclusive join that fires when no live token of any round can still reach an empty input.

    BPMN: the gateway is activated when some incoming flow has a token and every token that can
    reach an incoming flow without a token, not through the gateway, can also reach one with a token.
    """

    def _check_threshold_unstructured(self, my_task):
        arrived = {t.parent.task_spec for t in _this_round(my_task) if _arrived(t)}
        if _arrived(my_task):
            arrived.add(my_task.parent.task_spec)
        empty = [spec for spec in self.inputs if spec not in arrived]
        if not arrived or not empty:
            return bool(arrived)
        sources = {t.task_spec for t in my_task.workflow.tasks.values()
                   if t.has_state(LIVE) and t.task_spec is not self}
        for source in sources:
            reach = self._reachable(source)
            if reach & set(empty) and not reach & arrived:
                return False
        return True

    def _reachable(self, source) -> set:
        """The task specs a token at `source` can reach without passing through this gateway."""
        seen, stack = {source}, [source]
        while stack:
            for output in stack.pop().outputs:
                if output is not self and output not in seen:
                    seen.add(output)
                    stack.append(output)
        return seen

    def _run_hook(self, my_task):
        _join_round(my_task)
        # Then split as SpiffWorkflow's inclusive gateway does: every flow whose condition holds.
        matches, defaults = self._get_matching_outputs(my_task)
        if not matches and not defaults:
            raise WorkflowTaskException("No conditions satisfied on gateway", task=my_task)
        my_task._sync_children(matches or defaults, TaskState.FUTURE)
        for child in my_task.children:
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return True


REPLACED = {StockParallelGateway: ParallelGateway, StockInclusiveGateway: InclusiveGateway}
