"""Saving and loading a workflow's state without repeating its spec.

The spec of each definition version is stored once (``process_definition.spec_json``) and
cached per process; an instance's state holds only its tasks and data. SpiffWorkflow's
``from_dict`` mutates the dictionary it is given, so every load starts from freshly decoded
bytes, never from a shared dictionary.
"""

import json
import threading

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

from .codec import MAX_DATA_BYTES, StateCodec, size_text, state_registry
from .compaction import compact
from .errors import DataTooLarge
from .script_engine import SandboxScriptEngine
from .spec_classes import SPEC_CONFIG

_spec_config = SPEC_CONFIG
# The converters that know the engine's own task specs; diffs between versions use them too.
SPEC_REGISTRY = BpmnWorkflowSerializer.configure(_spec_config)
_spec_serializer = BpmnWorkflowSerializer(SPEC_REGISTRY)
FORMAT = "ysflow-state-1/" + _spec_serializer.VERSION
CODEC = StateCodec(state_registry(_spec_config), FORMAT)
_JSON_SAFE = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


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
    """Compact the task tree, then encode it; the result is what an instance row stores.

    Raises UnsavableData when task data holds a value that cannot be saved.
    """
    compact(workflow)
    return CODEC.encode(workflow)


def load_state(state: bytes, spec, subprocess_specs, script_engine: SandboxScriptEngine) -> BpmnWorkflow:
    """Rebuild a workflow from stored bytes; the sandbox engine is set again every time."""
    workflow = CODEC.decode(state, spec, subprocess_specs)
    workflow.script_engine = script_engine
    return workflow


def json_safe(data: dict) -> dict:
    """`data` as a JSON column will hold it (dates and other values become strings).

    Raises DataTooLarge when it is more than MAX_DATA_BYTES of JSON: an instance's data and the
    data of one action are bounded whoever sent them.
    """
    raw = orjson.dumps(data, default=str, option=_JSON_SAFE)
    if len(raw) > MAX_DATA_BYTES:
        raise DataTooLarge(f"流程数据过大（{size_text(len(raw))}，上限 {size_text(MAX_DATA_BYTES)}），未保存")
    return orjson.loads(raw)
