"""The OMG BPMN interchange reference models: each deploys or is refused naming the element, in Chinese.

The models live in tests/fixtures/miwg-reference (CC BY 3.0, licence and attribution beside
them), so these tests run from a clone of the repository alone.
"""

import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine.models import ProcessDefinition

from .test_api_definitions import DefinitionsApi

MIWG = Path(__file__).resolve().parent / "fixtures" / "miwg-reference"
MODELS = sorted(MIWG.glob("*.bpmn"))
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

CJK = re.compile(r"[\u4e00-\u9fff]")
# Four English words in a row: a sentence SpiffWorkflow or lxml wrote, left untranslated.
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,.;:!?'\"()-]+[A-Za-z]{2,}){3,}")
# What Python prints for an object or an exception: never shown to a person.
PYTHON = re.compile(r"<[^<>]*\bat 0x[0-9a-fA-F]+>|\b\w*(Error|Exception)\(|Traceback|\bNone\b|\bself\b")
# Refusals of the whole file, when it holds no element to name.
FILE_LEVEL = ("不是有效的 XML", "不是 BPMN 2.0 文件", "文件中没有流程", "文件过大",
              "文件须恰好包含一个可执行的顶层流程", "文件声明的字符编码")


def test_the_21_reference_models_are_in_the_repository():
    assert len(MODELS) == 21, f"expected the 21 MIWG reference models in {MIWG}"
    assert (MIWG / "LICENSE").is_file() and "CC BY 3.0" in (MIWG / "README.md").read_text("utf-8")


def words_of(raw: bytes) -> tuple[set[str], set[str]]:
    """The ids, and every name and text (conditions, scripts…), of the file's elements."""
    try:
        root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
    except etree.XMLSyntaxError:
        return set(), set()
    if root is None:
        return set(), set()
    ids, texts = set(), set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id"):
            ids.add(el.get("id"))
        texts.update(v for v in (el.get("name"), el.text) if v and v.strip())
        texts.update(v for k, v in el.attrib.items() if k.endswith("Ref") or k in ("calledElement", "default"))
    return ids, texts


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", "".join(c if c.isprintable() else " " for c in text)).strip()


def assert_told_in_chinese(problem: dict, raw: bytes) -> None:
    """A refusal names an element of the file (or is about the whole file) in a Chinese sentence."""
    ids, texts = words_of(raw)
    message = problem["message"]
    assert message and "\n" not in message, problem
    named = (problem["element_id"] in ids or any(len(t) >= 3 and t in message for t in ids)
             or any(len(t) >= 3 and _folded(t)[:20] in message for t in texts)
             or re.search(r"第 \d+ 行", message) or message.startswith(FILE_LEVEL))
    assert named, problem
    assert CJK.search(message), problem
    # What the file itself says (ids, names, conditions) may be English; nothing else may be.
    rest = message
    for text in sorted(ids | texts, key=len, reverse=True):
        folded = _folded(text)
        for piece in (folded, folded[:39], folded[:59]):
            if len(piece) >= 2:
                rest = rest.replace(piece, " ")
    assert not ENGLISH.search(rest), (problem, ENGLISH.search(rest)[0])
    assert not PYTHON.search(rest), (problem, PYTHON.search(rest)[0])


def definitions(platform) -> int:
    with platform.db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition))


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
        assert response.json["problems"]
        for problem in response.json["problems"]:
            assert_told_in_chinese(problem, raw)
