"""Deploying diagrams as immutable, numbered versions."""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict, DefinitionNotFound, InvalidDefinition, Problem
from .models import ProcessDefinition
from .parsing import ParsedDefinition, parse_definition
from .state import dump_spec

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# A check the caller adds (lanes it can resolve, forms it needs): returns problems by element.
DefinitionCheck = Callable[[ParsedDefinition, dict], list[Problem]]


@dataclass(frozen=True)
class Deployed:
    id: int
    key: str
    version: int
    created: bool


def checksum(xml: str, forms: dict) -> str:
    blob = xml.encode("utf-8") + json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def _in_order(forms) -> str:
    return json.dumps(forms or {}, ensure_ascii=False)


def validate(xml: bytes | str, forms: dict | None, checks: list[DefinitionCheck],
             process_key: str | None = None) -> ParsedDefinition:
    """Parse the diagram and run every check. Raises InvalidDefinition with all problems."""
    parsed = parse_definition(xml, process_key)
    problems: list[Problem] = []
    for check in checks:
        problems.extend(check(parsed, forms or {}))
    if problems:
        raise InvalidDefinition(problems)
    return parsed


def deploy(session: Session, xml: bytes | str, forms: dict | None, deployed_by: str | None, clock,
           checks: list[DefinitionCheck], skip_if_unchanged: bool = False) -> Deployed:
    """Store a new version of the process in the file; older versions are never touched.

    Raises InvalidDefinition, before anything is written, when the diagram or its forms fail,
    and Conflict when someone else deployed the same version number at the same moment.
    """
    parsed = validate(xml, forms or {}, checks)
    text = as_utf8_text(xml)
    forms = dict(forms or {})
    digest = checksum(text, forms)
    latest = latest_definition(session, parsed.key, required=False)
    # The checksum ignores key order; a form whose fields were only reordered is still a new version.
    unchanged = latest is not None and latest.checksum == digest and _in_order(latest.forms) == _in_order(forms)
    if skip_if_unchanged and unchanged:
        return Deployed(latest.id, latest.key, latest.version, created=False)
    version = (session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == parsed.key)
    ) or 0) + 1
    now = clock()  # the deploy time, taken once the version number is chosen
    row = ProcessDefinition(
        key=parsed.key, version=version, name=parsed.name, bpmn_xml=text,
        spec_json=dump_spec(parsed.spec, parsed.subprocess_specs), forms=forms,
        checksum=digest, deployed_by=deployed_by, deployed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"流程 {parsed.key} 刚刚由他人部署了第 {version} 版，请刷新后重试") from None
    return Deployed(row.id, row.key, row.version, created=True)


def as_utf8_text(xml: bytes | str) -> str:
    """The document as text, decoded by its own declaration and re-declared as UTF-8."""
    if isinstance(xml, str):
        return xml
    declared = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    encoding = declared.getroottree().docinfo.encoding or "utf-8"
    text = xml.decode(encoding)
    return XML_DECLARATION.sub('<?xml version="1.0" encoding="UTF-8"?>', text, count=1)


def latest_definition(session: Session, key: str, required: bool = True) -> ProcessDefinition | None:
    """The version new instances of `key` start on. Raises DefinitionNotFound when required."""
    row = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).first()
    if row is None and required:
        raise DefinitionNotFound(key)
    return row
