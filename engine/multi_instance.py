"""会签 that can be entered again, and that cannot open more instances than anyone could sign.

A multi-instance task refuses to start (or, with a cardinality, crashes) when its output
collection already holds the previous round's results, as it does after a loop-back. Just
before a task completes we clear the output collection of every multi-instance task it leads
into, unless that task writes its results back into its input collection.

A parallel multi-instance task opens all its instances at once, as many as its cardinality
says or its input collection holds: a cardinality of 10**9 would build that many tasks before
anything could stop it, so the count is checked first.
"""

from collections.abc import Sized
from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask as StockParallelMultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from .errors import ExecutionFailed
from .labels import spec_label

MAX_INSTANCES = 1000


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



class ParallelMultiInstanceTask(StockParallelMultiInstanceTask):
    """SpiffWorkflow's parallel multi-instance task, refusing to open more than MAX_INSTANCES at once."""

    def create_children(self, my_task):
        if self.data_input is not None:
            items = self.data_input.get(my_task)
            count = len(items) if isinstance(items, Sized) else None
        else:
            count = my_task.workflow.script_engine.evaluate(my_task, self.cardinality)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_INSTANCES:
            raise ExecutionFailed(f"{spec_label(self)} 要同时开启的实例数 {count!r} 不是 0 到 {MAX_INSTANCES} "
                                  "之间的整数", self.bpmn_id)
        super().create_children(my_task)


REPLACED = {StockParallelMultiInstanceTask: ParallelMultiInstanceTask}
