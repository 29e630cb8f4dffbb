"""An instance's saved state: SpiffWorkflow's own dictionary of a workflow, written by a quicker converter.

These tests hold the quick converter and SpiffWorkflow's stock one side by side.
"""

import zlib
from datetime import UTC, datetime

import orjson
import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from sqlalchemy import select

from engine import ExecutionFailed
from engine.models import ProcessInstance
from engine.state import CODEC, _spec_config

from .engine_support import deploy, scripted_xml
from .helpers import CASE, MEASURE, RECTIFIED, complete, snapshot, start, task_of


class StockConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's workflow converter less the spec, with its stock task converter."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        from uuid import UUID

        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs", {})
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


STOCK = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**_spec_config, BpmnWorkflow: StockConverter}))


def as_json(dct: dict) -> dict:
    """A dictionary as it reads back from JSON, without our format tag."""
    plain = orjson.loads(orjson.dumps(dct, option=orjson.OPT_NON_STR_KEYS))
    plain.pop("serializer_version", None)
    return plain


def saved_states(platform) -> list[tuple[bytes, int]]:
    with platform.db.reading() as session:
        return list(session.execute(select(ProcessInstance.state, ProcessInstance.definition_id)))


def states_of_both_flows(platform) -> list:
    """Rows in many shapes: a loop-back, parallel reviews, waiting timers, finished instances."""
    out = start(platform, "inspector", "rectification", CASE)
    out = complete(platform, "unit", task_of(out, "rectify"), RECTIFIED)
    complete(platform, "inspector", task_of(out, "verify"), {"decision": "fail", "opinion": "再改", "deadline_days": 2})
    out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    complete(platform, "justice", task_of(out, "legality_review"), {"legality_result": "pass"})
    out = start(platform, "drafter", "policy_measure", MEASURE)
    complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "reject", "opinion": "不同意"})
    return saved_states(platform)


def test_the_quick_converter_writes_what_spiffworkflow_writes(platform):
    for state, definition_id in states_of_both_flows(platform):
        spec, subs = platform.engine.specs.get(definition_id, None)
        workflow = CODEC.decode(state, spec, subs)
        assert as_json(CODEC.to_dict(workflow)) == as_json(STOCK.to_dict(workflow))


def test_each_converter_reads_what_the_other_wrote(platform):
    for state, definition_id in states_of_both_flows(platform):
        spec, subs = platform.engine.specs.get(definition_id, None)
        stock_read = STOCK.from_dict({**CODEC.decode_dict(state), "spec": spec, "subprocess_specs": subs})
        quick_read = CODEC.decode(state, spec, subs)
        assert as_json(CODEC.to_dict(stock_read)) == as_json(CODEC.to_dict(quick_read))
        stock_written = orjson.dumps(STOCK.to_dict(quick_read))
        again = CODEC.decode(stock_written, spec, subs)
        assert as_json(CODEC.to_dict(again)) == as_json(CODEC.to_dict(quick_read))


def test_dates_and_durations_in_task_data_come_back_as_themselves(platform):
    script = "total = 2\nwhen = date(2026, 10, 1)\nat = datetime(2026, 10, 1, 9, 30)\ngap = timedelta(days=2)"
    deploy(platform, scripted_xml(SCRIPT=script, CONDITION="total == 3"))
    out = start(platform, "office", "scripted", {})
    out = complete(platform, "office", task_of(out, "prepare"), {})
    with platform.db.reading() as session:
        row = session.get(ProcessInstance, out.instance_id)
    workflow = CODEC.decode(row.state, *platform.engine.specs.get(row.definition_id, None))
    data = next(t for t in workflow.get_tasks() if t.task_spec.name == "review").data
    assert (type(data["when"]).__name__, type(data["at"]).__name__, data["gap"].days) == ("date", "datetime", 2)
    assert out.data["when"] == "2026-10-01"  # the instance's data column holds JSON text


def test_a_value_that_cannot_be_saved_is_refused_and_nothing_is_written(platform):
    deploy(platform, scripted_xml(SCRIPT="total = 2\nodd = {1, 2}"))
    out = start(platform, "office", "scripted", {})
    before = snapshot(platform)
    with pytest.raises(ExecutionFailed) as err:
        complete(platform, "office", task_of(out, "prepare"), {})
    assert "无法保存的值（set）" in err.value.message
    assert snapshot(platform) == before


def test_states_saved_by_earlier_releases_still_load(platform):
    """Earlier releases saved states as zlib streams, then as plain JSON; both decode as they did."""
    out = start(platform, "inspector", "rectification", CASE)
    with platform.db.reading() as session:
        row = session.get(ProcessInstance, out.instance_id)
    specs = platform.engine.specs.get(row.definition_id, None)
    assert row.state.startswith(b"L4")
    plain = orjson.dumps(CODEC.decode_dict(row.state))
    now = as_json(CODEC.to_dict(CODEC.decode(row.state, *specs)))
    for old in (zlib.compress(plain, 1), plain):
        assert as_json(CODEC.to_dict(CODEC.decode(old, *specs))) == now


@pytest.mark.parametrize("value", [datetime(2026, 11, 24, 8, 0, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, 6),
                                   datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)])
def test_dates_are_bound_for_sqlite_as_sqlalchemy_binds_them(value):
    from sqlalchemy import DateTime, create_engine

    from engine.store import _sqlite_datetime

    dialect = create_engine("sqlite://").dialect
    assert _sqlite_datetime(value) == DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)(value)
