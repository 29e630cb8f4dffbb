"""Forms are data: no reference leaves the document and no pattern or reference can run away,
whether the form is being deployed (refused, naming the task and the field) or was stored before.
"""

import copy
import http.server
import json
import signal
import threading

import pytest
from sqlalchemy import select

from engine import InvalidDefinition
from engine.models import ProcessDefinition
from workflows import definitions_admin, form_safety
from workflows.errors import FormInvalid
from workflows.forms import validate

from .helpers import CASE, RECTIFIED, complete, snapshot, start, task_of
from .test_admin import FORMS, RECTIFICATION


def rectify_form(**extra_properties) -> dict:
    form = copy.deepcopy(FORMS["rectify"])
    form["properties"].update(extra_properties)
    return form


class CountingServer:
    """A loopback HTTP server that counts the requests it gets and answers each with a schema."""

    def __init__(self):
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                outer.hits += 1
                body = json.dumps({"type": "integer"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/schema.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_schema():
    server = CountingServer()
    yield server
    server.close()


@pytest.fixture
def file_schema(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"type": "integer"}), "utf-8")
    return path.as_uri()


def hostile_fields(remote: str) -> dict[str, dict]:
    """One field per way a schema can point outside itself or run long; `remote` is a URL."""
    return {
        "http_ref": {"type": "string", "title": "x", "$ref": remote},
        "file_ref": {"type": "string", "title": "x", "$ref": "file:///etc/passwd"},
        "relative_ref": {"type": "string", "title": "x", "$ref": "other.json#/defs/a"},
        "anchor_ref": {"type": "string", "title": "x", "$ref": "#somewhere"},
        "dynamic_ref": {"type": "string", "title": "x", "$dynamicRef": remote},
        "recursive_ref": {"type": "string", "title": "x", "$recursiveRef": "#"},
        "with_id": {"type": "string", "title": "x", "$id": remote},
        "nested_schema": {"type": "string", "title": "x", "$schema": remote},
        "in_all_of": {"type": "string", "title": "x", "allOf": [{"$ref": remote}]},
        "in_items": {"type": "array", "title": "x", "items": {"$ref": remote}},
        "in_dependent": {"type": "object", "title": "x", "dependentSchemas": {"a": {"$ref": remote}}},
        "in_pattern_props": {"type": "object", "title": "x", "patternProperties": {"^a": {"$ref": remote}}},
        "in_if": {"type": "string", "title": "x", "if": {"$ref": remote}, "then": {}},
        "in_not": {"type": "string", "title": "x", "not": {"$ref": remote}},
        "in_property_names": {"type": "object", "title": "x", "propertyNames": {"$ref": remote}},
        "in_unevaluated": {"type": "object", "title": "x", "unevaluatedProperties": {"$ref": remote}},
        "backreference": {"type": "string", "title": "x", "pattern": "^(a+)\\1$"},
        "lookahead": {"type": "string", "title": "x", "pattern": "^(?=a)(a+)+$"},
        "bad_pattern_key": {"type": "object", "title": "x", "patternProperties": {"(?<=a)b": {}}},
        "remote_format": {"type": "string", "title": "x", "format": "uri-reference"},
        "regex_format": {"type": "string", "title": "x", "format": "regex"},
        "missing_target": {"type": "string", "title": "x", "$ref": "#/$defs/nowhere"},
    }


def test_every_hostile_field_is_refused_at_deploy_naming_the_task_and_the_field(platform, http_schema):
    for name, prop in hostile_fields(http_schema.url).items():
        forms = {**FORMS, "rectify": rectify_form(**{name: prop})}
        with platform.db.transaction() as session, pytest.raises(InvalidDefinition) as refused:
            definitions_admin.deploy_diagram(platform, session, "admin", RECTIFICATION, forms)
        messages = [p.message for p in refused.value.problems if p.element_id == "rectify"]
        assert messages, name
        assert all("用户任务“整改”的表单" in m for m in messages), messages
        assert any(f"字段 {name}" in m for m in messages), messages
    assert http_schema.hits == 0
    with platform.db.reading() as session:
        assert session.scalar(select(ProcessDefinition.version).where(ProcessDefinition.key == "rectification")
                              .order_by(ProcessDefinition.version.desc())) == 1


@pytest.mark.parametrize("schema,reason", [
    ({"type": "object", "$schema": "http://example.invalid/meta"}, "$schema"),
    ({"type": "object", "$id": "http://example.invalid/form"}, "$id"),
    ({"type": "object", "$ref": "#"}, "循环"),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"not": {"$ref": "#/$defs/a"}}}},
     "循环"),
    ({"type": "object", "properties": {"a": {"$ref": "#/properties/a"}}}, "循环"),
])
def test_references_that_loop_or_leave_the_document_are_refused(schema, reason):
    assert any(reason in why for _where, why in form_safety.audit(schema))


def test_references_inside_the_document_are_allowed():
    schema = {"type": "object", "$schema": "https://json-schema.org/draft/2020-12/schema",
              "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{4}$"}},
              "properties": {"a": {"$ref": "#/$defs/code"}, "b": {"$ref": "#/$defs/code"}}}
    assert form_safety.audit(schema) == []
    assert validate(schema, {"a": "AB1234", "b": "CD0000"})
    with pytest.raises(FormInvalid) as refused:
        validate(schema, {"a": "ab"})
    assert refused.value.errors == {"a": "格式不正确"}


def test_references_that_multiply_are_refused():
    """Each definition uses the next four times: 4^12 checks once expanded, though the text is small."""
    defs = {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}] * 4} for i in range(12)}
    defs["d12"] = {"type": "string"}
    schema = {"type": "object", "$defs": defs, "properties": {"a": {"$ref": "#/$defs/d0"}}}
    assert any("过于复杂" in why for _where, why in form_safety.audit(schema))


def test_a_schema_nested_deeper_than_the_limit_is_refused_without_recursing_away():
    prop: dict = {"type": "string"}
    for _ in range(5000):
        prop = {"not": prop}
    schema = {"type": "object", "properties": {"deep": prop}}
    assert any("层级过深" in why and where == "字段 deep" for where, why in form_safety.audit(schema))


def test_data_inside_const_enum_and_default_is_not_read_as_a_schema():
    schema = {"type": "object", "properties": {"a": {"const": {"$ref": "http://example.invalid/"}},
                                               "b": {"enum": [{"$id": "x"}], "default": {"$ref": "file:///x"}}}}
    assert form_safety.audit(schema) == []


class RanAway(Exception):
    pass


def run_bounded(fn, seconds: float = 30):
    """Run fn; fail when it has not finished after `seconds` (a generous bound: it takes milliseconds).

    A SIGALRM interrupts even a backtracking `re` match, which checks for signals as it runs.
    """
    def stop(*_args):
        raise RanAway

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    except RanAway:
        pytest.fail(f"still running after {seconds} s: the pattern ran away")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refusal(fn) -> dict:
    with pytest.raises(FormInvalid) as refused:
        run_bounded(fn)
    return refused.value.errors


def test_a_nested_quantifier_matches_in_linear_time():
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a+)+$"},
                                               "other": {"type": "object", "patternProperties": {"^(a|aa)+$": {
                                                   "type": "integer"}}}}}
    assert form_safety.audit(schema) == []
    evil = "a" * 5000 + "!"
    assert refusal(lambda: validate(schema, {"code": evil, "other": {evil: "x"}})) == {"code": "格式不正确"}
    assert validate(schema, {"code": "aaaa", "other": {"aaaa": 1}})


def test_long_strings_are_refused_before_any_pattern_runs():
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    with pytest.raises(FormInvalid) as refused:
        validate(schema, {"text": "x" * (form_safety.MAX_STRING + 1)})
    assert "内容过长" in refused.value.errors["text"]
    with pytest.raises(FormInvalid) as refused:
        validate(schema, {"text": ["x"] * (form_safety.MAX_VALUES + 1)})
    assert "过多" in refused.value.errors["_form"]


def store_rectify_form(platform, form: dict) -> None:
    """Store a version whose 整改 form is `form`, as one deployed before deploy checked forms.

    A new row (not the shared base row, which the test databases keep between tests).
    """
    with platform.db.transaction() as session:
        row = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "rectification")
                              .order_by(ProcessDefinition.version.desc())).first()
        session.add(ProcessDefinition(key=row.key, version=row.version + 1, name=row.name, bpmn_xml=row.bpmn_xml,
                                      spec_json=row.spec_json, forms={**row.forms, "rectify": form},
                                      checksum=row.checksum, deployed_by="admin", deployed_at=row.deployed_at))


@pytest.mark.parametrize("which", ["http", "file"])
def test_a_stored_hostile_form_fetches_nothing_and_changes_nothing(platform, http_schema, file_schema, which):
    remote = http_schema.url if which == "http" else file_schema
    store_rectify_form(platform, rectify_form(report={"type": "string", "title": "报告", "$ref": remote}))
    outcome = start(platform, "inspector", "rectification", CASE)
    before = snapshot(platform)
    with pytest.raises(FormInvalid) as refused:
        complete(platform, "unit", task_of(outcome, "rectify"), RECTIFIED)
    assert list(refused.value.errors) == ["_form"]
    assert "表单定义不安全" in refused.value.errors["_form"]
    assert http_schema.hits == 0
    assert snapshot(platform) == before


def test_a_stored_runaway_pattern_is_matched_in_linear_time(platform):
    store_rectify_form(platform, rectify_form(report={"type": "string", "title": "报告", "pattern": "^(a+)+$"}))
    outcome = start(platform, "inspector", "rectification", CASE)
    before = snapshot(platform)
    data = {**RECTIFIED, "report": "a" * 3000 + "!"}
    assert refusal(lambda: complete(platform, "unit", task_of(outcome, "rectify"), data)) == {"report": "格式不正确"}
    assert snapshot(platform) == before
