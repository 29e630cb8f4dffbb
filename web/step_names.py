"""Step names of the shipped diagrams in the reader's language.

The diagrams in bpmn/ name their steps in Chinese (组长审批, 整改 …); the English catalogue holds
those names under the context "step", extracted from the .bpmn files by `extract_bpmn` (see
babel.cfg). Only names a shipped diagram gives for its own process are translated: a step an
admin drew or renamed keeps the name it was given, in every language.
"""

from functools import lru_cache
from pathlib import Path

from flask_babel import pgettext
from lxml import etree

from engine.parsing import BPMN_NS
from workflows.platform import BPMN_DIR

# Lanes are named by role code (lead_unit …) and shown through the lane labels instead.
UNNAMED = {"lane", "laneSet", "definitions", "collaboration", "participant", "process"}


def _named_elements(root):
    for el in root.iter(f"{{{BPMN_NS}}}*"):
        local = etree.QName(el).localname
        if el.get("name") and local not in UNNAMED:
            yield el, el.get("name").strip()


def _read(path: Path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.parse(str(path), parser).getroot()


@lru_cache(maxsize=1)
def shipped_names() -> dict[str, frozenset[str]]:
    """Process key → the step names its shipped diagram uses."""
    found = {}
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        root = _read(path)
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            found[process.get("id")] = frozenset(name for _el, name in _named_elements(root))
    return found


def step_name(name: str | None, process_key: str | None) -> str:
    """`name` in the current language when it is a shipped step of `process_key`; else as given."""
    if not name:
        return name or ""
    if name.strip() in shipped_names().get(process_key or "", ()):
        return pgettext("step", name.strip())
    return name


def translate_diagram(xml: str, process_key: str | None) -> str:
    """The diagram with its shipped step names in the current language, for the diagram viewer."""
    names = shipped_names().get(process_key or "", frozenset())
    if not names:
        return xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml.encode("utf-8"), parser)
    changed = False
    for el, name in _named_elements(root):
        if name in names:
            translated = pgettext("step", name)
            changed = changed or translated != name
            el.set("name", translated)
    return etree.tostring(root, encoding="unicode") if changed else xml


def extract_bpmn(fileobj, keywords, comment_tags, options):
    """Babel extractor: every step name of a diagram, as a pgettext("step", name) message."""
    root = etree.parse(fileobj, etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    for el, name in _named_elements(root):
        yield el.sourceline, "pgettext", ("step", name), [f"{etree.QName(el).localname} {el.get('id')}"]
