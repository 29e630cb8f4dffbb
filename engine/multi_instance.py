"""会签 that can be entered again.

A multi-instance task refuses to start (or, with a cardinality, crashes) when its output
collection already holds the previous round's results, as it does after a loop-back. Just
before a task completes we clear the output collection of every multi-instance task it leads
into, unless that task writes its results back into its input collection.
"""

from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask


def _next_multi_instance(task_spec, depth: int = 0):
    for output in task_spec.outputs:
        if isinstance(output, MultiInstanceTask):
            yield output
        elif isinstance(output, BoundaryEventSplit) and depth == 0:
            yield from _next_multi_instance(output, depth + 1)


_RESETS = WeakKeyDictionary()


def reset_multi_instance_outputs(task) -> None:
    """Called before `task` completes: empty the output collections it is about to feed."""
    for name in _outputs_to_reset(task.task_spec):
        task.data.pop(name, None)


def _outputs_to_reset(task_spec) -> tuple:
    # Called for every task that completes; specs never change, so each is looked at once.
    found = _RESETS.get(task_spec)
    if found is None:
        found = _RESETS[task_spec] = tuple(
            spec.data_output.bpmn_id for spec in _next_multi_instance(task_spec)
            if spec.data_output is not None
            and (spec.data_input is None or spec.data_input.bpmn_id != spec.data_output.bpmn_id))
    return found

