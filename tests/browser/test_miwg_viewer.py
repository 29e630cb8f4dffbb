"""bpmn-js draws every OMG interchange reference model, and an import then export keeps every id and name."""

from pathlib import Path

import pytest
from lxml import etree

from .conftest import login

pytestmark = pytest.mark.browser

# Kept in the repository with their licence (CC BY 3.0), so the tests run from a clone alone.
MIWG = Path(__file__).resolve().parents[1] / "fixtures" / "miwg-reference"
MODELS = sorted(MIWG.glob("*.bpmn"))
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

ROUND_TRIP = """async (xml) => {
  const box = document.createElement('div');
  box.style.width = '1200px';
  box.style.height = '800px';
  document.body.appendChild(box);
  const viewer = new BpmnJS({ container: box });
  try {
    const result = await viewer.importXML(xml);
    const drawn = viewer.get('elementRegistry').getAll().length;
    const saved = await window.ysflowSaveXml(viewer);  // the modeler's own export
    return { ok: true, warnings: result.warnings.map(w => w.message), drawn: drawn, xml: saved };
  } catch (err) {
    return { ok: false, error: String(err && err.message || err) };
  } finally {
    viewer.destroy();
    box.remove();
  }
}"""


DRAW = """async (xml) => {
  const box = document.createElement('div');
  box.style.width = '1200px';
  box.style.height = '800px';
  document.body.appendChild(box);
  const viewer = new BpmnJS({ container: box });
  try {
    const result = await viewer.importXML(xml);
    const ids = [];
    let shapes = 0;
    for (const diagram of viewer.getDefinitions().diagrams) {  // a file may hold several diagrams
      const opened = await viewer.open(diagram);
      result.warnings.push(...opened.warnings);
      viewer.get('elementRegistry').getAll().forEach(e => ids.push(e.businessObject && e.businessObject.id));
      shapes += box.querySelectorAll('.djs-element').length;
    }
    return { ok: true, warnings: result.warnings.map(w => w.message), ids: ids, shapes: shapes };
  } catch (err) {
    return { ok: false, error: String(err && err.message || err) };
  } finally {
    viewer.destroy();
    box.remove();
  }
}"""
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"


def drawn_elements(raw: bytes) -> set[str]:
    """The ids the file's diagram draws (every BPMNShape's and BPMNEdge's bpmnElement).

    bpmn-js draws a collaboration's processes through its participants; a process that no
    participant refers to (B.1.0 has one) is not drawn, so its elements are left out here.
    """
    root = etree.fromstring(raw)
    by_id = {el.get("id"): el for el in root.iter(f"{{{BPMN_NS}}}*") if el.get("id")}
    referenced = {p.get("processRef") for p in root.iter(f"{{{BPMN_NS}}}participant")}
    has_collaboration = root.find(f"{{{BPMN_NS}}}collaboration") is not None
    drawn = set()
    for tag in ("BPMNShape", "BPMNEdge"):
        for shape in root.iter(f"{{{BPMNDI_NS}}}{tag}"):
            element = by_id.get(shape.get("bpmnElement"))
            if element is None:
                continue
            process = next((a for a in element.iterancestors(f"{{{BPMN_NS}}}process")), None)
            if has_collaboration and process is not None and process.get("id") not in referenced:
                continue
            drawn.add(element.get("id"))
    return drawn


def elements(xml: bytes) -> set[tuple[str, str | None]]:
    """(id, name) of every semantic BPMN element that has an id."""
    root = etree.fromstring(xml)
    return {(el.get("id"), el.get("name")) for el in root.iter(f"{{{BPMN_NS}}}*") if el.get("id")}


def as_text(raw: bytes) -> str:
    encoding = etree.fromstring(raw).getroottree().docinfo.encoding or "UTF-8"
    return raw.decode(encoding)


@pytest.fixture
def modeler_page(new_page, live_server):
    page = new_page()
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/admin/new?key=miwg_scratch&name=scratch")
    page.wait_for_selector("body[data-modeler-ready=true]")
    return page


def test_every_reference_model_is_drawn_and_round_trips(modeler_page):
    assert len(MODELS) == 21, f"expected the 21 MIWG reference models in {MIWG}"
    failures = []
    for path in MODELS:
        raw = path.read_bytes()
        result = modeler_page.evaluate(ROUND_TRIP, as_text(raw))
        if not result["ok"]:
            failures.append((path.name, "import", result["error"]))
            continue
        if result["drawn"] < 2:
            failures.append((path.name, "drawn", result["drawn"]))
        lost = elements(raw) - elements(result["xml"].encode("utf-8"))
        if lost:
            failures.append((path.name, "lost", sorted(lost, key=str)[:5]))
    assert not failures, failures


def test_the_instance_viewer_draws_every_reference_model(new_page, live_server):
    assert len(MODELS) == 21, f"expected the 21 MIWG reference models in {MIWG}"
    page = new_page()
    page.goto(f"{live_server.url}/login")
    page.add_script_tag(url="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    failures = []
    for path in MODELS:
        raw = path.read_bytes()
        result = page.evaluate(DRAW, as_text(raw))
        if not result["ok"]:
            failures.append((path.name, "import", result["error"]))
            continue
        missing = drawn_elements(raw) - set(result["ids"])
        if missing or result["shapes"] < 2:
            failures.append((path.name, "not drawn", sorted(missing)[:5], result["shapes"]))
    assert not failures, failures
