"""`ysflow` on a real database: every command works, every error is one line and a non-zero exit."""

import json
import shutil

import pytest
from sqlalchemy import create_engine, text

from workflows.cli import main


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite:///{path}")
        assert main(["demo"]) == 0
    return path


@pytest.fixture
def db_url(demo_file, tmp_path, monkeypatch, capsys):
    path = tmp_path / "cli.sqlite3"
    shutil.copy(demo_file, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    capsys.readouterr()
    return f"sqlite:///{path}"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_case_from_start_to_close_on_the_command_line(db_url, capsys):
    code, out, _ = run(capsys, "start", "rectification", "--as", "inspector", "--data", json.dumps({
        "source": "hotline", "description": "企业反映开办登记需跑多次", "responsible_unit": "gov_data",
        "deadline_days": 5}))
    assert code == 0
    started = json.loads(out)
    code, out, _ = run(capsys, "tasks", "--as", "unit", "--json")
    mine = [t for t in json.loads(out) if t["instance_id"] == started["instance_id"]]
    assert code == 0 and [t["step"] for t in mine] == ["整改"]
    code, out, _ = run(capsys, "complete", str(mine[0]["id"]), "--as", "unit", "--data", json.dumps(
        {"measures": "推行一次办结制度", "evidence": "流程图", "report": "已完成整改工作"}))
    verify = json.loads(out)["tasks"][0]["id"]
    code, out, _ = run(capsys, "complete", str(verify), "--as", "inspector", "--data", '{"decision": "pass"}')
    assert code == 0 and json.loads(out)["end_event"] == "closed"
    code, out, _ = run(capsys, "tasks", "--as", "unit")
    assert code == 0 and "unit 的待办" in out


@pytest.mark.parametrize("argv, message", [
    (["complete", "999999", "--as", "unit", "--data", "{}"], "任务 999999 不存在"),
    (["complete", "1", "--as", "unit", "--data", "{oops"], "不是有效的 JSON"),
    (["complete", "1", "--as", "unit", "--data", "[1]"], "必须是 JSON 对象"),
    (["start", "nothing", "--as", "inspector"], "没有名为 nothing 的流程定义"),
    (["start", "rectification", "--as", "unit", "--data", "{}"], "需要以下角色之一"),
    (["start", "rectification", "--as", "ghost", "--data", "{}"], "用户 ghost 不存在"),
    (["start", "rectification", "--as", "inspector", "--data", '{"source": "x"}'], "表单有误"),
    (["tasks", "--as", "ghost"], "用户 ghost 不存在"),
    (["deploy", "no/such/file.bpmn"], "不存在"),
])
def test_errors_are_one_clear_line(db_url, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code != 0 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_deploy_refuses_a_bad_diagram_naming_the_element(db_url, capsys, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text(open("bpmn/rectification.bpmn", encoding="utf-8").read().replace("due_at", "open('x')"))
    code, _, err = run(capsys, "deploy", str(bad), "--forms", "bpmn/forms")
    assert code == 1 and "rectify_deadline" in err and "open" in err
    not_xml = tmp_path / "not.bpmn"
    not_xml.write_text("hello")
    code, _, err = run(capsys, "deploy", str(not_xml))
    assert code == 1 and "不是有效的 XML" in err


def test_deploy_creates_a_new_version(db_url, capsys):
    code, out, _ = run(capsys, "deploy", "bpmn/policy_measure.bpmn")
    assert code == 0 and "policy_measure 第 2 版" in out


def test_unreachable_database_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    code, _, err = run(capsys, "tasks", "--as", "unit")
    assert code == 1 and err.startswith("错误：无法访问数据库") and "Traceback" not in err


def test_token_is_issued(db_url, capsys):
    code, out, _ = run(capsys, "token", "unit")
    assert code == 0 and out.strip().startswith("ysf_")


SERVICE_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="with_service" name="调用外部系统" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:serviceTask id="call" name="调用接口" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""
BROKEN_FILES = {  # what the file holds, and what the one-line refusal must say
    "service task": (SERVICE_TASK.encode("utf-8"), ["服务任务 call（调用接口）尚未配置连接器"]),
    "not xml": (b"hello, world", ["不是有效的 XML"]),
    "empty": (b"", ["不是有效的 XML", "文件是空的"]),
    "not bpmn": (b"<?xml version='1.0'?><html><body>hi</body></html>", ["不是 BPMN 2.0 文件"]),
    "binary garbage": (bytes(range(256)) * 8, ["不是有效的 XML"]),
    "cut short": (SERVICE_TASK.encode("utf-8")[:300], ["不是有效的 XML：第 5 行", "属性值没有用引号括起来或没有结束"]),
    "dangling flow": (SERVICE_TASK.replace('targetRef="end"', 'targetRef="nowhere"').encode("utf-8"),
                      ["顺序流 f2 的终点 nowhere"]),
    "sourceRef as an element": (SERVICE_TASK.replace(
        '<bpmn:serviceTask id="call" name="调用接口" />',
        '<bpmn:task id="call" name="调用接口"><bpmn:dataInputAssociation id="a1"><bpmn:sourceRef>x</bpmn:sourceRef>'
        '</bpmn:dataInputAssociation></bpmn:task>').encode("utf-8"),
        ["任务 call（调用接口）的数据输入关联", "x（文件中没有）"]),
}


def definition_rows(db_url) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        count = conn.scalar(text("SELECT count(*) FROM process_definition"))
    engine.dispose()
    return count


@pytest.mark.parametrize("case", list(BROKEN_FILES))
def test_deploy_refuses_a_broken_file_in_one_chinese_line_per_problem(db_url, capsys, tmp_path, case):
    body, expected = BROKEN_FILES[case]
    path = tmp_path / "diagram.bpmn"
    path.write_bytes(body)
    before = definition_rows(db_url)
    code, out, err = run(capsys, "deploy", str(path))
    assert code != 0 and out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("错误：") for line in lines), err
    for words in expected:
        assert words in err, err
    assert definition_rows(db_url) == before


def test_deploy_of_a_missing_file_or_a_folder_is_one_line(db_url, capsys, tmp_path):
    for target, words in ((tmp_path / "nothing.bpmn", "不存在"), (tmp_path, "不是文件")):
        code, _, err = run(capsys, "deploy", str(target))
        assert code != 0 and words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_deploy_with_a_broken_form_file_is_one_line(db_url, capsys, tmp_path):
    (tmp_path / "forms" / "policy_measure").mkdir(parents=True)
    (tmp_path / "forms" / "policy_measure" / "draft.json").write_text("{oops", "utf-8")
    diagram = tmp_path / "policy.bpmn"
    diagram.write_bytes(open("bpmn/policy_measure.bpmn", "rb").read())
    code, _, err = run(capsys, "deploy", str(diagram))
    assert code != 0 and "不是有效的 JSON（第 1 行第 2 列）" in err and len(err.strip().splitlines()) == 1


# -- the organisation: people and the workbook ----------------------------------------------------

def test_a_person_is_added_edited_renamed_moved_deactivated_and_reactivated(db_url, capsys):
    code, out, err = run(capsys, "user", "add", "zhaoyun", "--name", "赵云", "--unit", "gov_data", "--roles",
                         "单位工作人员,drafter", "--email", "zy@example.cn", "--password", "Zhaoyun2026")
    assert code == 0 and "已添加人员 赵云，账号 zhaoyun" in out, err
    code, out, _ = run(capsys, "user", "edit", "zhaoyun", "--phone", "13700001111", "--roles", "unit_head")
    assert code == 0
    code, out, _ = run(capsys, "user", "list", "--q", "zhaoyun", "--json")
    [person] = json.loads(out)
    assert (person["phone"], person["roles"], person["email"]) == ("13700001111", ["unit_head"], "zy@example.cn")
    code, out, _ = run(capsys, "user", "rename", "zhaoyun", "zilong")
    assert code == 0 and "原账号及其 API 令牌已失效" in out
    code, out, _ = run(capsys, "tasks", "--as", "zilong")
    assert code == 0
    code, _out, err = run(capsys, "tasks", "--as", "zhaoyun")
    assert code == 1 and "用户 zhaoyun 不存在或已停用" in err
    code, out, _ = run(capsys, "user", "move", "zilong", "--unit", "tax")
    assert code == 0 and "调至 tax" in out
    code, out, _ = run(capsys, "user", "deactivate", "zilong")
    assert code == 0 and "已停用 zilong" in out
    code, _out, err = run(capsys, "token", "zilong")
    assert code == 1 and "不存在或已停用" in err
    assert run(capsys, "user", "activate", "zilong")[0] == 0
    assert run(capsys, "user", "delete", "zilong")[0] == 0
    code, out, _ = run(capsys, "user", "list", "--q", "zilong")
    assert "共 0 人" in out


def test_deactivating_on_the_command_line_hands_tasks_to_a_colleague(db_url, capsys):
    code, out, _ = run(capsys, "start", "rectification", "--as", "inspector", "--data", json.dumps({
        "source": "hotline", "description": "窗口推诿扯皮问题", "responsible_unit": "gov_data", "deadline_days": 5}))
    assert code == 0, _
    task_id = json.loads(out)["tasks"][0]["id"]
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE human_task SET assignee = 'unit' WHERE id = :id"), {"id": task_id})
    code, out, err = run(capsys, "user", "deactivate", "unit", "--to", "unit_head")
    assert code == 0 and "1 项待办转交 unit_head" in out, err
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT assignee FROM human_task WHERE id = :id"), {"id": task_id}) == "unit_head"
        assert conn.scalar(text("SELECT count(*) FROM event WHERE kind = 'task_reassigned'")) == 1
    engine.dispose()


@pytest.mark.parametrize("argv, message", [
    (["user", "add", "x1", "--name", "某", "--unit", "mars"], "单位：单位 mars 不存在"),
    (["user", "add", "x1", "--name", "某", "--unit", "tax", "--password", "123"], "密码至少 8 位"),
    (["user", "add", "unit", "--name", "某", "--unit", "tax"], "账号 unit 已被他人使用"),
    (["user", "rename", "nobody", "x"], "账号 nobody 不存在"),
    (["user", "rename", "unit", "bad name"], "账号只能由字母"),
    (["user", "deactivate", "unit", "--to", "ghost"], "账号 ghost 不存在"),
    (["user", "move", "unit", "--unit", "gov_data"], "已在该单位"),
    (["user", "delete", "inspector"], "请改为停用"),
    (["org", "import", "/no/such/file.xlsx"], "文件 /no/such/file.xlsx 不存在"),
])
def test_organisation_errors_are_one_clear_line(db_url, capsys, argv, message):
    if argv[:2] == ["user", "delete"]:
        run(capsys, "start", "rectification", "--as", "inspector", "--data", json.dumps({
            "source": "hotline", "description": "某窗口某问题", "responsible_unit": "gov_data", "deadline_days": 5}))
    code, out, err = run(capsys, *argv)
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1, err


def test_the_organisation_workbook_round_trips_and_a_bad_row_is_refused_by_name(db_url, capsys, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "org.xlsx"
    code, out, _ = run(capsys, "org", "export", str(path))
    assert code == 0 and path.stat().st_size > 0
    code, out, _ = run(capsys, "org", "import", str(path), "--dry-run")
    assert code == 0 and "新增 0 条，修改 0 条，停用 0 条" in out
    book = load_workbook(path)
    book["人员"].append(["sunquan", "孙权", "tax", None, None, "单位工作人员", None, None])
    book["人员"].append(["zhouyu", "周瑜", "tax", None, "not-mail", None, None, None])
    book.save(path)
    row = book["人员"].max_row
    code, _out, err = run(capsys, "org", "import", str(path))
    assert code == 1 and f"工作表“人员”第 {row} 行“邮箱”列" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "user", "list", "--q", "sunquan")
    assert "共 0 人" in out  # nothing of the refused workbook was written
    book["人员"].delete_rows(row)
    book.save(path)
    code, out, _ = run(capsys, "org", "import", str(path))
    assert code == 0 and "新增 1 条" in out and "新增 人员 sunquan 孙权" in out
    code, out, _ = run(capsys, "org", "template", str(tmp_path / "blank.xlsx"))
    assert code == 0 and load_workbook(tmp_path / "blank.xlsx").sheetnames == ["说明", "单位", "工作组", "人员"]
