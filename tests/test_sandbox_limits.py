"""Instance data and saved states are capped: a step that would grow past the cap is refused, 422, nothing written."""

import pytest

from engine import DataTooLarge
from engine.codec import MAX_STATE_BYTES
from engine.state import CODEC, new_workflow

from .engine_support import ENGINE, deploy, scripted_xml, spec_of
from .helpers import complete, snapshot, start, task_of


@pytest.mark.parametrize("size", [2 * 1024 * 1024, 20 * 1024 * 1024])
def test_instance_data_is_capped_whoever_sends_it(platform, size):
    deploy(platform, scripted_xml())
    out = start(platform, "office", "scripted", {})
    before = snapshot(platform)
    with pytest.raises(DataTooLarge) as err:
        complete(platform, "office", task_of(out, "prepare"), {"note": "x" * size})
    assert err.value.status == 422
    assert err.value.message.startswith("流程数据过大") and "1 MB" in err.value.message
    assert snapshot(platform) == before


def test_the_saved_state_is_capped_too():
    spec, subs = spec_of(scripted_xml())
    workflow = new_workflow(spec, subs, ENGINE)
    for i, task in enumerate(workflow.get_tasks()):
        task.data[f"part{i}"] = str(i) * (MAX_STATE_BYTES // 4)
    with pytest.raises(DataTooLarge) as err:
        CODEC.encode(workflow)
    assert "流程状态过大" in err.value.message
