"""Keeping the task tree shallow across loop-backs.

Each 退回 or 整改不通过 makes SpiffWorkflow grow the task tree one round deeper, and several of
its checks walk ancestors recursively; after about 165 rounds they hit Python's recursion
limit. History lives in the event table, so finished rounds are not needed in the tree: before
each save we cut away every finished task above the lowest task that is an ancestor of all
unfinished ones, and hang that task directly under the root.
"""

from SpiffWorkflow.util.task import TaskState

# Compact only when the tree is this deep; shallow trees are left exactly as SpiffWorkflow made them.
MAX_DEPTH = 40


def _path_from_root(task) -> list:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    path.reverse()
    return path


def _depth(task) -> int:
    depth = 0
    while task.parent is not None:
        task, depth = task.parent, depth + 1
    return depth


def _subtree_ids(task) -> set:
    seen, stack = set(), [task]
    while stack:
        current = stack.pop()
        seen.add(current.id)
        stack.extend(current.children)
    return seen


def compact(workflow, max_depth: int = MAX_DEPTH) -> int:
    """Drop finished rounds from the workflow and its subprocesses; return how many tasks went."""
    removed = _compact_one(workflow, max_depth)
    for sub in list(workflow.subprocesses.values()):
        removed += _compact_one(sub, max_depth)
    return removed


def _compact_one(workflow, max_depth: int) -> int:
    if len(workflow.tasks) <= max_depth:
        return 0  # no path from the root can be longer than the tree has tasks
    unfinished = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not unfinished or max(_depth(t) for t in unfinished) <= max_depth:
        return 0
    paths = [_path_from_root(t) for t in unfinished]
    common = 0
    for nodes in zip(*paths, strict=False):
        if any(n is not nodes[0] for n in nodes):
            break
        common += 1
    # The lowest common ancestor, or above it the nearest finished task: it keeps its data.
    keep = paths[0][common - 1]
    while keep is not None and not keep.has_state(TaskState.FINISHED_MASK):
        keep = keep.parent
    root = workflow.task_tree
    if keep is None or keep is root or keep.parent is root:
        return 0
    kept = _subtree_ids(keep) | {root.id}
    doomed = [tid for tid in workflow.tasks if tid not in kept]
    root._children = [keep.id]
    keep._parent = root.id
    for tid in doomed:
        del workflow.tasks[tid]
        sub = workflow.subprocesses.pop(tid, None) if hasattr(workflow, "subprocesses") else None
        if sub is not None:
            for sub_tid in list(sub.tasks):
                sub.tasks.pop(sub_tid)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = keep
    return len(doomed)
