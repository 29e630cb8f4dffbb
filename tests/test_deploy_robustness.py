"""No BPMN file, whatever it holds, crashes deploy, the modeler's 校验 or `ysflow deploy`.

Each file (tests/deploy_mutations.py: the MIWG models, runnable variants, the shipped flows and
systematic mutations of them) goes three ways: POST /api/definitions, the admin 校验 (a dry run
of 保存并部署) and the command line. None may answer 5xx or print a traceback; every refusal is
Chinese and names an element of the file; 校验通过 always means the deploy succeeds, and the
command line agrees. The bulk runs on SQLite; the reference models and the sizes the tables
hold run on PostgreSQL too.
"""

import json
import shutil

import pytest
from sqlalchemy import func, select

from engine.models import ProcessDefinition
from workflows.cli import main

from .conftest import PG_URL
from .deploy_mutations import cases, miwg_models, sized
from .test_admin import client_for
from .test_api_definitions import DefinitionsApi
from .test_miwg import CJK, assert_told_in_chinese

CASES = cases()


class Bench:
    """One database seen three ways: the definitions API, the admin pages and the command line."""

    def __init__(self, platform, cli_url: str, folder):
        self.platform = platform
        self.api = DefinitionsApi(platform)
        self.admin = client_for(platform, "admin")
        self.cli_url = cli_url
        self.folder = folder

    def rows(self) -> int:
        with self.platform.db.reading() as session:
            return session.scalar(select(func.count()).select_from(ProcessDefinition))

    def validate(self, body: bytes, forms: dict):
        """The modeler's 校验: the editor sends the diagram as text, with its forms."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("latin-1")
        return self.admin.post("/admin/deploy", json={"xml": text, "forms": forms, "dry_run": True})

    def deploy(self, body: bytes, forms: dict):
        return self.api.post_file("admin", body, forms)

    def cli(self, body: bytes, key: str | None, forms: dict, capsys) -> tuple[int, str, str]:
        case = self.folder / "case"
        shutil.rmtree(case, ignore_errors=True)
        (case / "forms" / (key or "none")).mkdir(parents=True)
        for element_id, schema in forms.items():
            (case / "forms" / (key or "none") / f"{element_id}.json").write_text(json.dumps(schema), "utf-8")
        (case / "diagram.bpmn").write_bytes(body)
        capsys.readouterr()
        code = main(["--database-url", self.cli_url, "deploy", str(case / "diagram.bpmn")])
        out, err = capsys.readouterr()
        return code, out, err


def told(response, body: bytes) -> None:
    """A 4xx answer in Chinese; a 422 is JSON listing problems that each name an element of the file."""
    if response.status_code != 422:
        if not response.is_json:  # the admin pages answer a request they cannot read (an empty diagram) with a page
            assert response.status_code == 400 and "<html" in response.get_data(as_text=True)
            return
        assert CJK.search(response.json["message"]), response.json
        return
    assert response.json["problems"], response.json
    for problem in response.json["problems"]:
        assert_told_in_chinese(problem, body)


def check(bench: Bench, body: bytes, key: str | None, forms: dict, capsys) -> bool:
    """Send one file three ways; returns whether it deployed."""
    before = bench.rows()
    checked = bench.validate(body, forms)
    assert checked.status_code in (200, 400, 422), checked.get_data(as_text=True)[:500]
    if checked.status_code != 200:
        told(checked, body)
    assert bench.rows() == before  # a dry run writes nothing

    deployed = bench.deploy(body, forms)
    assert deployed.status_code in (201, 400, 422), deployed.get_data(as_text=True)[:500]
    if deployed.status_code == 201:
        assert bench.rows() == before + 1
    else:
        told(deployed, body)
        assert bench.rows() == before
    if checked.status_code == 200 or body.startswith(b"<"):  # the editor sends text; garbage reads differently
        assert (checked.status_code == 200) == (deployed.status_code == 201), (checked.json, deployed.json)

    code, out, err = bench.cli(body, key, forms, capsys)
    assert "Traceback" not in err and "Traceback" not in out
    assert (code == 0) == (deployed.status_code == 201), err
    if code != 0:
        lines = err.strip().splitlines()
        assert out == "" and lines, err
        assert all(line.startswith("错误：") and CJK.search(line[3:]) for line in lines), err
    return deployed.status_code == 201


@pytest.fixture(scope="module")
def sqlite_bench(sqlite_template, tmp_path_factory):
    from workflows.platform import Platform

    folder = tmp_path_factory.mktemp("robustness")
    shutil.copy(sqlite_template, folder / "web.sqlite3")
    shutil.copy(sqlite_template, folder / "cli.sqlite3")
    platform = Platform(f"sqlite:///{folder / 'web.sqlite3'}")
    yield Bench(platform, f"sqlite:///{folder / 'cli.sqlite3'}", folder)
    platform.db.dispose()


@pytest.mark.parametrize("case", range(len(CASES)), ids=[c[0] for c in CASES])
def test_no_file_crashes_deploy_validation_or_the_command_line(sqlite_bench, capsys, case):
    _name, body, key, forms = CASES[case]
    check(sqlite_bench, body, key, forms, capsys)


def test_the_cases_reach_every_stage():
    """The set holds files that deploy, and files refused at each stage: XML, structure, parser, spec."""
    names = [c[0] for c in CASES]
    assert 250 <= len(CASES) <= 450
    for stage in ("as shipped", "binary garbage", "dangling targetRef", "service task", "condition 4",
                  "loop without limit", "nested 300 deep", "chain of 1500 tasks", "two executable processes"):
        assert any(stage in n for n in names), stage


@pytest.fixture
def pg_bench(pg_platform, tmp_path):
    return Bench(pg_platform, PG_URL, tmp_path)


MODELS = miwg_models()


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_reference_models_on_postgresql(pg_bench, capsys, path):
    check(pg_bench, path.read_bytes(), None, {}, capsys)


SIZED = sized()


@pytest.mark.parametrize("case", range(len(SIZED)), ids=[c[0] for c in SIZED])
def test_names_and_ids_up_to_what_the_tables_hold_deploy_and_longer_ones_are_refused(pg_bench, capsys, case):
    _name, body, key, forms, deploys = SIZED[case]
    assert check(pg_bench, body, key, forms, capsys) is deploys
