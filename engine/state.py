"""Saving and loading a workflow's state without repeating its spec.

The spec of each definition version is stored once (``process_definition.spec_json``) and
cached per process; an instance's state holds only its tasks and data. SpiffWorkflow's
``from_dict`` mutates the dictionary it is given, so every load starts from freshly decoded
bytes, never from a shared dictionary.
"""

import json
import threading
import zlib

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter

from .compaction import compact
from .script_engine import SandboxScriptEngine
from .timers import SERIALIZER_CONFIG as TIMER_CONFIG


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its specs; reads one back with the specs passed in."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs", {})
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value):
    from uuid import UUID

    return UUID(value)


_spec_config = {**DEFAULT_CONFIG, **TIMER_CONFIG}
_state_config = {**_spec_config, BpmnWorkflow: SpecFreeWorkflowConverter}
_state_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_state_config))
# The converters that know the engine's clocked timers; diffs between versions use them too.
SPEC_REGISTRY = BpmnWorkflowSerializer.configure(_spec_config)
_spec_serializer = BpmnWorkflowSerializer(SPEC_REGISTRY)
FORMAT = "ysflow-state-1/" + _state_serializer.VERSION


def dump_spec(spec, subprocess_specs) -> str:
    registry = _spec_serializer.registry
    return json.dumps({
        "spec": registry.convert(spec),
        "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
    })


def load_spec(spec_json: str):
    registry = _spec_serializer.registry
    dct = json.loads(spec_json)
    spec = registry.restore(dct["spec"])
    subprocess_specs = {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


class SpecCache:
    """Parsed specs by definition id. Definitions are immutable, so entries never go stale."""

    def __init__(self):
        self._specs: dict[int, tuple] = {}
        self._lock = threading.Lock()

    def get(self, definition_id: int, spec_json_loader) -> tuple:
        found = self._specs.get(definition_id)
        if found is None:
            found = load_spec(spec_json_loader())
            with self._lock:
                self._specs[definition_id] = found
        return found


def new_workflow(spec, subprocess_specs, script_engine: SandboxScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """Compact the task tree, then encode it; the result is what an instance row stores."""
    compact(workflow)
    dct = _state_serializer.to_dict(workflow)
    dct["serializer_version"] = FORMAT
    return zlib.compress(json.dumps(dct, separators=(",", ":")).encode("utf-8"), 1)


def load_state(state: bytes, spec, subprocess_specs, script_engine: SandboxScriptEngine) -> BpmnWorkflow:
    """Rebuild a workflow from stored bytes; the sandbox engine is set again every time."""
    dct = json.loads(zlib.decompress(state))
    dct.pop("serializer_version", None)
    dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
    workflow = _state_serializer.from_dict(dct)
    workflow.script_engine = script_engine
    return workflow


def json_safe(data: dict) -> dict:
    """`data` as a JSON column will hold it (dates and other values become strings)."""
    return json.loads(json.dumps(data, default=str))
