"""Field order is part of a form: it survives the modeler, the deploy paths, storage on both
databases, the JSON the pages and the API send, and the task page in both languages."""

import io
import json
import re

from sqlalchemy import select

from engine.models import ProcessDefinition
from workflows.forms import load_shipped_forms

from .helpers import CASE, start, task_of
from .test_admin import FORMS, RECTIFICATION, client_for, modeler_data

# Not alphabetical, not reverse-alphabetical: any sorting shows.
ORDER = ["report", "measures", "attachments", "evidence"]


def reordered_rectify() -> dict:
    form = json.loads(json.dumps(FORMS["rectify"]))
    form["properties"] = {name: form["properties"][name] for name in ORDER}
    return form


def stored_order(platform, version: int) -> list[str]:
    with platform.db.reading() as session:
        row = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "rectification",
                                                              ProcessDefinition.version == version)).one()
        return list(row.forms["rectify"]["properties"])


def page_fields(html: str) -> list[str]:
    return re.findall(r'data-field="([a-z_]+)"', html)


def test_the_modeler_keeps_field_order_through_deploy_storage_and_the_task_page(platform):
    admin = client_for(platform, "admin")
    # The modeler posts each form as the JSON text typed in its editor.
    text = json.dumps(reordered_rectify(), ensure_ascii=False, indent=2)
    posted = {key: json.dumps(value, ensure_ascii=False) for key, value in FORMS.items()} | {"rectify": text}
    response = admin.post("/admin/deploy", json={"xml": RECTIFICATION, "forms": posted})
    assert response.status_code == 201, response.json
    assert stored_order(platform, 2) == ORDER

    # The editor opens the version with the fields in the same order, and saving it again keeps it.
    edited = modeler_data(admin.get(f"/admin/definitions/{response.json['id']}/edit"))
    assert list(edited["forms"]["rectify"]["properties"]) == ORDER
    again = admin.post("/admin/deploy", json={"xml": RECTIFICATION, "forms": edited["forms"]})
    assert again.status_code == 201 and stored_order(platform, 3) == ORDER

    outcome = start(platform, "inspector", "rectification", CASE)
    unit = client_for(platform, "unit")
    task_id = task_of(outcome, "rectify")
    assert page_fields(unit.get(f"/tasks/{task_id}").get_data(as_text=True)) == ORDER
    assert page_fields(unit.get(f"/tasks/{task_id}?lang=en").get_data(as_text=True)) == ORDER
    preview = admin.post("/admin/forms/preview", json={"schema": text}).get_data(as_text=True)
    assert page_fields(preview) == ORDER


def test_the_api_keeps_field_order_on_deploy_and_in_the_task_it_sends(platform):
    from workflows.tokens import issue_token

    with platform.db.transaction() as session:
        admin_token, unit_token = (issue_token(session, who, platform.clock()) for who in ("admin", "unit"))
    client = client_for(platform)
    forms = {**FORMS, "rectify": reordered_rectify()}
    response = client.post("/api/definitions", headers={"Authorization": f"Bearer {admin_token}"},
                           data={"file": (io.BytesIO(RECTIFICATION.encode()), "rectification.bpmn"),
                                 "forms": json.dumps(forms, ensure_ascii=False)})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert stored_order(platform, 2) == ORDER
    outcome = start(platform, "inspector", "rectification", CASE)
    body = client.get(f"/api/tasks/{task_of(outcome, 'rectify')}", headers={"Authorization": f"Bearer {unit_token}"})
    assert list(json.loads(body.get_data(as_text=True))["form"]["properties"]) == ORDER


def test_redeploying_the_shipped_files_with_fields_reordered_makes_a_new_version(platform, tmp_path):
    folder = tmp_path / "rectification"
    folder.mkdir()
    for key, value in load_shipped_forms("rectification").items():
        value = reordered_rectify() if key == "rectify" else value
        (folder / f"{key}.json").write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    with platform.db.transaction() as session:
        deployed = platform.engine.deploy(session, RECTIFICATION, load_shipped_forms("rectification", tmp_path),
                                          skip_if_unchanged=True)
    assert deployed.created and deployed.version == 2
    assert stored_order(platform, 2) == ORDER
