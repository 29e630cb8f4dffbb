"""会签 that can be entered again.

A multi-instance task refuses to start (or, with a cardinality, crashes) when its output
collection already holds the previous round's results, as it does after a loop-back. Just
before a task completes we clear the output collection of every multi-instance task it leads
into, unless that task writes its results back into its input collection.
"""

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask


def _next_multi_instance(task_spec, depth: int = 0):
    for output in task_spec.outputs:
        if isinstance(output, MultiInstanceTask):
            yield output
        elif isinstance(output, BoundaryEventSplit) and depth == 0:
            yield from _next_multi_instance(output, depth + 1)


def reset_multi_instance_outputs(task) -> None:
    """Called before `task` completes: empty the output collections it is about to feed."""
    for spec in _next_multi_instance(task.task_spec):
        output, source = spec.data_output, spec.data_input
        if output is None or (source is not None and source.bpmn_id == output.bpmn_id):
            continue
        task.data.pop(output.bpmn_id, None)
