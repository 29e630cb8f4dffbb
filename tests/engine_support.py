"""Deploying the small test diagrams in tests/bpmn with forms for their user tasks."""

from pathlib import Path

BPMN = Path(__file__).resolve().parent / "bpmn"
OPEN_FORM = {"type": "object", "properties": {"note": {"type": "string", "title": "备注"}}}
SCRIPTED_DEFAULTS = {"SCRIPT": "total = 1 + 1", "CONDITION": "total == 2", "TIMER": '"P5D"'}


def scripted_xml(**parts) -> str:
    xml = (BPMN / "scripted.bpmn").read_text("utf-8")
    for key, value in {**SCRIPTED_DEFAULTS, **parts}.items():
        xml = xml.replace(key, value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return xml


def deploy(platform, xml, forms=None, key_forms=("prepare", "review")):
    forms = forms if forms is not None else {name: OPEN_FORM for name in key_forms}
    with platform.db.transaction() as session:
        return platform.engine.deploy(session, xml, forms=forms, deployed_by="admin")
