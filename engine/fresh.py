"""New workflows copied from one built once per spec.

Building a workflow runs SpiffWorkflow's predictions over the whole diagram, and that costs more
than the first step of the instance it is built for. Every new workflow of a spec is the same
tree, so the engine builds it once and copies it for each start: the same tasks, in the same
states, under the same parents, each with an id of its own. That is the workflow loading a saved
state rebuilds (engine.codec: a workflow object made for deserializing, its tasks made one by
one), so a copy is as good as a loaded instance, which every action already trusts.

Only a plain new workflow is copied: no subprocesses, no events, no task or internal data and
no waiting tasks, and workflow data JSON holds as it is. Any other is built every time.
"""

import os
import threading
from dataclasses import dataclass
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .state import new_workflow


@dataclass(frozen=True)
class Template:
    """A new workflow's tree by position: (spec, state, parent, children, triggered) per task."""

    tasks: tuple[tuple, ...]
    root: int
    data: bytes


def template_of(workflow: BpmnWorkflow) -> Template | None:
    """The template of a just-built workflow, or None when it is not plain enough to copy."""
    if workflow.subprocesses or workflow.bpmn_events or workflow.correlations or workflow.last_task is not None:
        return None
    order = list(workflow.tasks.values())
    if any(t.data or t.internal_data or t._state == TaskState.WAITING for t in order):
        return None
    try:
        data = orjson.dumps(workflow.data)
    except TypeError:
        return None
    if orjson.loads(data) != workflow.data:
        return None
    position = {t.id: i for i, t in enumerate(order)}
    tasks = tuple((t.task_spec, t._state, position.get(t._parent), tuple(position[c] for c in t._children),
                   t.triggered) for t in order)
    return Template(tasks, position[workflow.task_tree.id], data)


def copy_of(template: Template, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
    workflow.data = orjson.loads(template.data)
    # Version-4 ids, as uuid4() makes them, from one read of the system's random source.
    raw = os.urandom(16 * len(template.tasks))
    ids = [UUID(bytes=raw[i:i + 16], version=4) for i in range(0, len(raw), 16)]
    for (task_spec, state, parent, children, triggered), task_id in zip(template.tasks, ids, strict=True):
        task = Task(workflow, task_spec, state=state, id=task_id)
        if parent is not None:
            task._parent = ids[parent]
        task._children = [ids[c] for c in children]
        task.triggered = triggered
    workflow.task_tree = workflow.tasks[ids[template.root]]
    return workflow


class FreshWorkflows:
    """New workflows by spec: built the first time, copied from then on."""

    def __init__(self):
        self._templates: dict[int, tuple] = {}  # id(spec) → (spec, subprocess specs, template or None)
        self._lock = threading.Lock()

    def new(self, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
        found = self._templates.get(id(spec))
        if found is not None and found[0] is spec and found[1] is subprocess_specs:
            if found[2] is not None:
                return copy_of(found[2], spec, subprocess_specs, script_engine)
            return new_workflow(spec, subprocess_specs, script_engine)
        workflow = new_workflow(spec, subprocess_specs, script_engine)
        with self._lock:
            self._templates[id(spec)] = (spec, subprocess_specs, template_of(workflow))
        return workflow
