"""What changed between two versions of a diagram: elements added, removed and changed, by id.

The comparison reads the semantic part of the XML only (``bpmn:`` elements that carry an id);
moving a shape on the canvas is not a change. An element is changed when its type, its name or
anything it holds that is not itself an element with an id (a condition, a timer, its incoming
and outgoing flows, its attributes) differs. Lists whose order means nothing (a lane's elements, a
node's flows) are compared as sets: reordering them is not a change.
"""

from dataclasses import dataclass, field

from lxml import etree

from .parsing import BPMN_NS

_PREFIX = f"{{{BPMN_NS}}}"
# Children that belong to their parent's content even when they carry an id of their own.
PARTS = {"incoming", "outgoing", "flowNodeRef", "conditionExpression", "documentation", "extensionElements",
         "script", "timeDate", "timeDuration", "timeCycle", "multiInstanceLoopCharacteristics",
         "standardLoopCharacteristics", "loopCardinality", "completionCondition", "ioSpecification",
         "dataInputAssociation", "dataOutputAssociation", "property", "laneSet"}


# References whose order carries no meaning: a lane's elements, a node's incoming and outgoing flows.
UNORDERED = {"flowNodeRef", "incoming", "outgoing"}


def _is_part(local: str) -> bool:
    return local in PARTS or local.endswith("EventDefinition")


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: str  # the BPMN type without prefix: userTask, sequenceFlow …
    name: str | None
    what: list[str] = field(default_factory=list, compare=False)


@dataclass
class DefinitionDiff:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict:
        def rows(items):
            return [{"element_id": c.element_id, "type": c.kind, "name": c.name, "what": c.what} for c in items]

        return {"added": rows(self.added), "removed": rows(self.removed), "changed": rows(self.changed)}


def _parse(xml: bytes | str):
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.fromstring(raw, parser)


def _local(tag) -> str | None:
    return tag[len(_PREFIX):] if isinstance(tag, str) and tag.startswith(_PREFIX) else None


def _content(el) -> tuple:
    """The element's own content: attributes and the children that are not elements of their own."""
    attrs = tuple(sorted((k, v) for k, v in el.attrib.items() if k not in ("id", "name")))
    parts, refs = [], []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        local = _local(child.tag)
        if local is not None and child.get("id") and not _is_part(local):
            continue
        (refs if local in UNORDERED else parts).append((child.tag, _content(child), (child.text or "").strip()))
    return attrs, tuple(parts), tuple(sorted(refs))


def elements(xml: bytes | str) -> dict[str, tuple[str, str | None, tuple]]:
    """Every semantic element with an id: id -> (type, name, content)."""
    found = {}
    for el in _parse(xml).iter():
        local = _local(el.tag)
        if local is None or local == "definitions" or not el.get("id") or _is_part(local):
            continue
        found[el.get("id")] = (local, el.get("name"), _content(el))
    return found


def _what(old: tuple, new: tuple) -> list[str]:
    what = []
    if old[0] != new[0]:
        what.append("type")
    if (old[1] or "") != (new[1] or ""):
        what.append("name")
    if old[2] != new[2]:
        what.append("content")
    return what


def diff_definitions(old_xml: bytes | str, new_xml: bytes | str) -> DefinitionDiff:
    """Compare two diagrams by element id. Raises lxml's XMLSyntaxError on a file that is not XML."""
    old, new = elements(old_xml), elements(new_xml)
    result = DefinitionDiff()
    for element_id, (kind, name, _) in new.items():
        if element_id not in old:
            result.added.append(ElementChange(element_id, kind, name))
    for element_id, (kind, name, _) in old.items():
        if element_id not in new:
            result.removed.append(ElementChange(element_id, kind, name))
            continue
        what = _what(old[element_id], new[element_id])
        if what:
            result.changed.append(ElementChange(element_id, new[element_id][0], new[element_id][1], what))
    return result
