"""Administering process definitions: list versions, deploy edited diagrams with their forms,
preview forms, compare versions and move running instances onto a new version.

Every action takes the acting username and refuses anyone without the admin role.
"""

import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from xml.sax.saxutils import escape

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import InvalidDefinition, NotFound, Problem, queries
from engine.definitions import Deployed, as_utf8_text, latest_definition
from engine.diagram_checks import NCNAME
from engine.diff import DefinitionDiff, diff_definitions, elements
from engine.migration import MigrationReport, migrate_instances
from engine.models import ProcessDefinition
from engine.parsing import BPMN_NS, MAX_XML_BYTES, UserTaskOutline, read_xml

from . import forms
from .errors import BadRequest
from .form_diff import FormChange, diff_forms
from .organisation import form_options, require_role, require_user
from .platform import BPMN_DIR

BLANK_TEMPLATE = BPMN_DIR / "templates" / "blank.bpmn"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,60}$")


@dataclass
class ProcessSummary:
    key: str
    name: str
    versions: list[ProcessDefinition] = field(default_factory=list)
    running: dict[int, int] = field(default_factory=dict)

    @property
    def active(self) -> ProcessDefinition:
        return self.versions[0]

    @property
    def older_running(self) -> int:
        """Running instances still on an older version than the active one."""
        return sum(self.running.get(row.id, 0) for row in self.versions[1:])


def require_admin(session: Session, username: str) -> None:
    """Raises PermissionDenied unless `username` is an active admin."""
    require_role(require_user(session, username), "admin")


def processes(session: Session, username: str) -> list[ProcessSummary]:
    """Every process with its versions, newest first, and the running instances on each version."""
    require_admin(session, username)
    running = queries.instances_per_definition(session)
    found: dict[str, ProcessSummary] = {}
    for row in queries.definitions(session):
        summary = found.setdefault(row.key, ProcessSummary(row.key, row.name, running=running))
        summary.versions.append(row)
    return list(found.values())


def processes_versions(session: Session, username: str, key: str) -> list[int]:
    """The version numbers of `key`, newest first. Raises PermissionDenied or NotFound."""
    require_admin(session, username)
    versions = [row.version for row in queries.definitions(session, key)]
    if not versions:
        raise NotFound(f"没有名为 {key} 的流程定义")
    return versions


def definition(session: Session, username: str, definition_id: int) -> ProcessDefinition:
    """One version. Raises PermissionDenied, or NotFound for an unknown id."""
    require_admin(session, username)
    row = session.get(ProcessDefinition, definition_id)
    if row is None:
        raise NotFound(f"流程定义 #{definition_id} 不存在")
    return row


def version_of(session: Session, username: str, key: str, version: int) -> ProcessDefinition:
    """Version `version` of `key`. Raises PermissionDenied or NotFound."""
    require_admin(session, username)
    row = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                          ProcessDefinition.version == version)).first()
    if row is None:
        raise NotFound(f"流程 {key} 没有第 {version} 版")
    return row


def forms_for(session: Session, key: str | None) -> dict:
    """Forms to go with a diagram that came without: the latest version's, else the shipped ones."""
    # The key comes from the uploaded file before any check: only a valid id may name a folder
    # ("/etc" or "../x" would send the lookup anywhere on the server).
    if not key or not NCNAME.match(key):
        return {}
    latest = latest_definition(session, key, required=False)
    if latest is not None:
        return dict(latest.forms or {})
    return forms.load_shipped_forms(key)


def read_forms(raw: dict) -> tuple[dict, list[Problem]]:
    """Forms posted by the editor (each a JSON text or an object), with a problem per unreadable one."""
    if not isinstance(raw, dict):
        return {}, [Problem(None, "表单须为按元素 id 组织的 JSON 对象")]
    parsed, problems = {}, []
    for element_id, value in raw.items():
        if isinstance(value, str):
            if not value.strip():
                continue
            try:
                value = json.loads(value)
            except ValueError as err:
                problems.append(Problem(element_id, f"表单不是有效的 JSON：{err}"))
                continue
        parsed[str(element_id)] = value
    return parsed, problems


def as_utf8(raw: bytes | str) -> bytes:
    """The file as UTF-8 bytes, whatever encoding it declares; unreadable input is returned as it came."""
    if isinstance(raw, str):
        return raw.encode("utf-8")
    if len(raw) > MAX_XML_BYTES:
        return raw
    try:
        return as_utf8_text(raw).encode("utf-8")
    except (etree.XMLSyntaxError, LookupError, UnicodeDecodeError):
        return raw


def unreadable(xml: bytes) -> str | None:
    """Why a file cannot even be opened in the modeler (too large, not XML, not BPMN); None if it can."""
    try:
        read_xml(xml)
    except InvalidDefinition as err:
        return err.problems[0].message
    return None


def process_key_of(xml: bytes | str) -> str | None:
    """The process id the file declares, read without running any check; None when unreadable."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if len(raw) > MAX_XML_BYTES:
        return None
    try:
        root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    processes_ = root.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes_ if p.get("isExecutable", "true").lower() == "true"] or processes_
    return executable[0].get("id") if executable else None


def check_diagram(platform, session: Session, username: str, xml, raw_forms: dict | None) -> dict:
    """Run every deploy check without deploying; returns the forms that would be stored.

    Raises PermissionDenied, or InvalidDefinition listing every problem by element.
    """
    require_admin(session, username)
    xml = as_utf8(xml)
    form_map, problems = _forms(session, xml, raw_forms)
    problems = problems + [p for element_id, schema in form_map.items() for p in _field_problems(element_id, schema)]
    try:
        platform.engine.validate(xml, form_map)
    except InvalidDefinition as err:
        problems = problems + err.problems
    if problems:
        raise InvalidDefinition(problems)
    return form_map


def deploy_diagram(platform, session: Session, username: str, xml, raw_forms: dict | None = None,
                   migrate: bool = False) -> tuple[Deployed, MigrationReport | None]:
    """Deploy a diagram with its forms as the new active version; optionally move running instances.

    Forms not given are taken from the latest version of the same process, else the shipped ones.
    Raises PermissionDenied or InvalidDefinition (nothing is written then).
    """
    xml = as_utf8(xml)
    form_map = check_diagram(platform, session, username, xml, raw_forms)
    deployed = platform.engine.deploy(session, xml, form_map, deployed_by=username)
    report = migrate_instances(platform.engine, session, deployed.id, actor=username) if migrate else None
    return deployed, report


def _field_problems(element_id: str, schema) -> list[Problem]:
    """A field defined as anything but an object (JSON Schema allows `true`) cannot be drawn."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return []
    return [Problem(element_id, f"字段 {name} 的定义须为对象（含 type、title 等）")
            for name, prop in properties.items() if not isinstance(prop, dict)]


def _forms(session: Session, xml, raw_forms: dict | None) -> tuple[dict, list[Problem]]:
    if raw_forms is None:
        return forms_for(session, process_key_of(xml)), []
    return read_forms(raw_forms)


def migrate(platform, session: Session, username: str, target_id: int, instance_ids=None) -> MigrationReport:
    """Move running instances onto version `target_id`. Raises PermissionDenied or DefinitionNotFound."""
    require_admin(session, username)
    return migrate_instances(platform.engine, session, target_id, instance_ids, actor=username)


def compare(session: Session, username: str, old_id: int, new_id: int) -> DefinitionDiff:
    """Elements added, removed and changed from version `old_id` to `new_id`."""
    old, new = definition(session, username, old_id), definition(session, username, new_id)
    return diff_definitions(old.bpmn_xml, new.bpmn_xml)


def compare_forms(session: Session, username: str, old_id: int, new_id: int) -> list[FormChange]:
    """The forms added, removed and changed (field by field) from version `old_id` to `new_id`."""
    old, new = definition(session, username, old_id), definition(session, username, new_id)
    names = {forms.START_FORM: "开始表单"}
    for xml in (old.bpmn_xml, new.bpmn_xml):
        names.update({element_id: name for element_id, (_kind, name, _content) in elements(xml).items() if name})
    return diff_forms(old.forms or {}, new.forms or {}, names)


def preview_form(session: Session, username: str, text: str) -> tuple[list, list[str]]:
    """The fields a schema draws (as the task page draws them) and its problems, for the live preview."""
    require_admin(session, username)
    try:
        schema = json.loads(text or "")
    except ValueError as err:
        return [], [f"不是有效的 JSON：{err}"]
    stub = SimpleNamespace(user_tasks=[UserTaskOutline("form", "form", None)], start_event_ids=[])
    found = forms.check_forms(stub, {"form": schema}) or _field_problems("form", schema)
    problems = [p.message for p in found]
    if problems:
        return [], problems
    return forms.fields(forms.expand(schema, form_options(session))), []


def blank_diagram(session: Session, username: str, key: str, name: str) -> str:
    """The blank template (a pool with lanes) as a new process `key`. Raises BadRequest for a bad key."""
    require_admin(session, username)
    if not KEY_PATTERN.match(key or ""):
        raise BadRequest("流程标识须以小写字母开头，仅含小写字母、数字和下划线（2–61 位）")
    if latest_definition(session, key, required=False) is not None:
        raise BadRequest(f"流程标识 {key} 已存在，请打开它的版本进行修改")
    name = (name or "").strip()[:100] or key
    text = BLANK_TEMPLATE.read_text("utf-8").replace("new_process", key)
    return text.replace("新流程", escape(name, {'"': "&quot;"}))
