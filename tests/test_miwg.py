"""The OMG BPMN interchange reference models: each deploys or is refused naming the element, never a crash."""

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine.models import ProcessDefinition

from .test_api_definitions import DefinitionsApi

# shared/ sits beside the repository, in development and in CI alike.
MIWG = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "miwg-reference"
MODELS = sorted(MIWG.glob("*.bpmn"))
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def test_the_21_reference_models_are_there():
    assert len(MODELS) == 21, f"expected the 21 MIWG reference models in {MIWG}"


def ids_and_names(raw: bytes) -> set[str]:
    """Every id and name of a semantic element in the file."""
    root = etree.fromstring(raw)
    found = set()
    for el in root.iter(f"{{{BPMN_NS}}}*"):
        found.update(v for v in (el.get("id"), el.get("name")) if v)
    return found


def definitions(platform) -> int:
    with platform.db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition))


def test_the_reference_suite_is_all_there():
    assert len(MODELS) == 21


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_each_reference_model_deploys_or_is_refused_naming_the_element(platform, path):
    api = DefinitionsApi(platform)
    raw = path.read_bytes()
    before = definitions(platform)
    for response in (api.post_xml("admin", raw), api.post_file("admin", raw)):
        assert response.status_code in (201, 422), response.get_data(as_text=True)
        if response.status_code == 201:
            assert response.json["version"] >= 1
            continue
        assert definitions(platform) == before
        known = ids_and_names(raw)
        for problem in response.json["problems"]:
            named = problem["element_id"] in known or any(len(t) >= 3 and t in problem["message"] for t in known)
            assert named, problem
