"""An instance's saved state: SpiffWorkflow's own dictionary of a workflow, written and read quickly.

The state is the dictionary SpiffWorkflow's serializer makes of a workflow, less its spec (the
spec is stored once per definition version). SpiffWorkflow builds it through a generic converter
registry and the standard `json` module, which together cost more than running the step being
saved; here the per-task work is done directly and the JSON by orjson. The dictionary is the same
one (tests hold the two side by side), so SpiffWorkflow's serializer reads what this writes.

Task data is saved as it is. Values of the registry's types (datetimes, dates, durations) become
``{"typename": …}`` dictionaries as SpiffWorkflow writes them and come back as themselves; any
other value JSON cannot hold is refused with `UnsavableData`, never turned into a string.
"""

import zlib
from copy import copy
from datetime import date
from uuid import UUID

import lz4.block
import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .errors import DataTooLarge

MB = 1024 * 1024
MAX_DATA_BYTES = 1 * MB  # an instance's data, and the data of one action, as JSON
MAX_STATE_BYTES = 16 * MB  # a whole saved state as JSON, before compression
_PLAIN = frozenset({str, int, float, bool, type(None)})
_MUTABLE = (dict, list, set)
_DUMP = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
LZ4 = b"L4"
_ABSENT = object()


class UnsavableData(TypeError):
    """Task data holds a value that cannot be saved (a function, a file, an unknown object)."""

    def __init__(self, type_name: str):
        super().__init__(f"流程数据中含有无法保存的值（{type_name}）")
        self.message = str(self)


class QuickTaskConverter(TaskConverter):
    """SpiffWorkflow's task converter, without registry round trips for values JSON holds as they are."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        registry.quick_tasks = self

    def to_dict(self, task):
        return task_dict(task, task.workflow.tasks.get, self.registry)

    def from_dict(self, dct, workflow, uuid=UUID):
        spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, spec, state=dct["state"], id=uuid(dct["id"]))
        parent_id = dct["parent"]
        task._parent = uuid(parent_id) if parent_id is not None else None
        task._children = [uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = self.registry.restore(internal) if internal else {}
        if isinstance(spec, CatchingEvent) and task._state == TaskState.WAITING:
            workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = workflow.tasks.get(task._parent) if delta else None
        if parent is not None:
            data = {k: copy(v) if isinstance(v, _MUTABLE) else v for k, v in parent.data.items()}
            updates = delta.get("updates")
            if updates:
                data.update(self.restore_data(updates))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = self.restore_data(dct["data"])
        task.data = data
        return task

    def restore_data(self, value):
        return value if _plain(value) else self.registry.restore(value)


def task_dict(task, find, registry) -> dict:
    """SpiffWorkflow's dictionary of a task; `find` looks up a task of its workflow by id."""
    # Ids stay UUIDs here: orjson writes them as the same strings, much faster than str().
    internal = task.internal_data
    if internal and not _plain(internal):
        internal = registry.convert(internal)
    parent_id = task._parent
    parent = find(parent_id)
    if parent is None:
        parent_id, data, delta = None, task.data, {}
    else:
        # Like SpiffWorkflow: a task stores only what differs from its parent's data.
        mine, theirs = task.data, parent.data
        data = {}
        if mine == theirs:  # most tasks carry their parent's data unchanged
            delta = {"updates": {}, "deletions": []}
        elif not mine:  # predicted tasks hold no data yet
            delta = {"updates": {}, "deletions": list(theirs)}
        else:
            delta = {
                "updates": {k: v for k, v in mine.items() if theirs.get(k, _ABSENT) != v},
                "deletions": [] if theirs.keys() <= mine.keys() else [k for k in theirs if k not in mine],
            }
    return {"id": task.id, "parent": parent_id, "children": task._children,
            "last_state_change": task.last_state_change, "state": task._state, "task_spec": task.task_spec.name,
            "triggered": task.triggered, "internal_data": internal, "data": data, "delta": delta,
            "typename": "Task"}


def _plain(value) -> bool:
    """A dictionary of JSON scalars that no converter would change."""
    return type(value) is dict and "typename" not in value and all(type(v) in _PLAIN for v in value.values())


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its specs; reads one back with the specs passed in."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        registry.quick_workflows = self

    def to_dict(self, workflow):
        find, registry = workflow.tasks.get, self.registry
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": workflow.last_task.id if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {k: task_dict(task, find, registry) for k, task in workflow.tasks.items()},
            "root": workflow.task_tree.id,
            "subprocesses": self.mapping_to_dict(workflow.subprocesses),
            "bpmn_events": self.registry.convert(workflow.bpmn_events),
            "typename": self.typename,
        }

    def from_dict(self, dct):
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs", {})
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        quick, seen = self.registry.quick_tasks.from_dict, {}

        def uuid(text):  # each id is read three times (itself, its parent's children, its children's parent)
            found = seen.get(text)
            if found is None:
                found = seen[text] = UUID(text)
            return found

        for task in dct["tasks"].values():
            quick(task, workflow, uuid)
        workflow.task_tree = workflow.tasks.get(uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def state_registry(spec_config: dict):
    """The registry for saved states: the spec converters, the quick ones and `date` as data."""
    config = {**spec_config, Task: QuickTaskConverter, BpmnWorkflow: SpecFreeWorkflowConverter}
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


class StateCodec:
    """Turns a workflow into the bytes an instance row stores, and those bytes back into a workflow."""

    def __init__(self, registry, format_name: str):
        self.registry = registry
        self.format_name = format_name
        self._converter = registry.quick_workflows

    def to_dict(self, workflow) -> dict:
        dct = self._converter.to_dict(workflow)
        dct["serializer_version"] = self.format_name
        return dct

    def encode(self, workflow) -> bytes:
        """The bytes an instance row stores. Raises UnsavableData, or DataTooLarge past MAX_STATE_BYTES."""
        try:
            raw = orjson.dumps(self.to_dict(workflow), default=self._default, option=_DUMP)
        except orjson.JSONEncodeError as err:
            if isinstance(err.__cause__, UnsavableData):
                raise err.__cause__ from None
            raise UnsavableData(str(err)) from None
        if len(raw) > MAX_STATE_BYTES:
            raise DataTooLarge(f"流程状态过大（{size_text(len(raw))}，上限 {size_text(MAX_STATE_BYTES)}），未保存")
        # LZ4 shrinks a usual state about three times in a few microseconds, so it fits in the
        # row's own database page instead of spilling onto two more that every save rewrites.
        return LZ4 + lz4.block.compress(raw, store_size=True)

    def decode_dict(self, state: bytes) -> dict:
        """Fresh dictionaries every call: SpiffWorkflow's readers pop keys from what they are given.

        A state is an LZ4 block after its marker; states saved by earlier releases are zlib
        streams (starting with "x") or plain JSON.
        """
        if state[:2] == LZ4:
            raw = lz4.block.decompress(state[2:])
        elif state[:1] == b"x":
            raw = zlib.decompress(state)
        else:
            raw = state
        return orjson.loads(raw)

    def decode(self, state: bytes, spec, subprocess_specs):
        dct = self.decode_dict(state)
        dct.pop("serializer_version", None)
        dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
        return self._converter.from_dict(dct)

    def _default(self, value):
        typename = self.registry.typenames.get(type(value))
        if typename is None or typename not in self.registry.convert_to_dict:
            raise UnsavableData(type(value).__name__)
        return self.registry.convert(value)


def size_text(nbytes: int) -> str:
    """1 MB, 2.4 MB, 512 KB."""
    value, unit = (nbytes / MB, "MB") if nbytes >= MB else (nbytes / 1024, "KB")
    return f"{value:.1f}".removesuffix(".0") + " " + unit
