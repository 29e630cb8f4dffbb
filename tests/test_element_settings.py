"""Settings a diagram carries on its elements (yf:settings): read at deploy, checked, kept with the version."""

import pytest
from sqlalchemy import select

from engine import InvalidDefinition
from engine.models import ProcessDefinition
from workflows.errors import PermissionDenied
from workflows.task_settings import allows, require_allowed, settings_of

from .engine_support import deploy, scripted_xml

NS = 'xmlns:yf="https://yingshang-flow.example/bpmn/settings"'


def with_settings(value: str, element: str = "prepare", **parts) -> str:
    xml = scripted_xml(**parts).replace("<bpmn:definitions ", f"<bpmn:definitions {NS} ", 1)
    quoted = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return xml.replace(f'<bpmn:userTask id="{element}" ', f'<bpmn:userTask id="{element}" yf:settings="{quoted}" ', 1)


def stored(platform, definition_id: int) -> ProcessDefinition:
    with platform.db.reading() as session:
        return session.scalars(select(ProcessDefinition).where(ProcessDefinition.id == definition_id)).one()


def test_settings_are_kept_with_the_version_and_read_by_the_domain(platform):
    deployed = deploy(platform, with_settings('{"deny": ["transfer", "withdraw"]}'))
    definition = stored(platform, deployed.id)
    assert definition.settings == {"prepare": {"deny": ["transfer", "withdraw"]}}
    assert settings_of(definition, "prepare") == {"deny": ["transfer", "withdraw"]}
    assert settings_of(definition, "review") == {}
    assert not allows(definition, "prepare", "transfer") and allows(definition, "prepare", "delegate")
    with pytest.raises(PermissionDenied) as err:
        require_allowed(definition, "prepare", "withdraw")
    assert err.value.status == 403 and "撤回" in err.value.message
    require_allowed(definition, "review", "withdraw")


def test_a_diagram_without_settings_has_none(platform):
    assert stored(platform, deploy(platform, scripted_xml()).id).settings == {}


@pytest.mark.parametrize("value, why", [
    ("{not json", "不是有效的 JSON"),
    ('["transfer"]', "须为 JSON 对象"),
    ('{"deny": "transfer"}', "deny 须为操作名称的列表"),
    ('{"deny": ["fly"]}', "未知的操作：fly"),
    ('{"colour": "red"}', "未知的设置 colour"),
    ('{"deny": ["' + "x" * 20000 + '"]}', "超过 16 KB"),
])
def test_a_setting_that_cannot_be_used_is_refused_naming_the_element(platform, value, why):
    with pytest.raises(InvalidDefinition) as err:
        deploy(platform, with_settings(value))
    [problem] = err.value.problems
    assert problem.element_id == "prepare" and why in problem.message


def test_settings_on_an_element_of_another_pool_are_not_read(platform):
    xml = with_settings('{"deny": ["transfer"]}')
    # The same attribute outside the deployed process is no concern of this deploy.
    xml = xml.replace("</bpmn:definitions>", '<bpmn:process id="other" isExecutable="false">'
                      '<bpmn:task id="elsewhere" yf:settings="{oops" /></bpmn:process></bpmn:definitions>')
    assert stored(platform, deploy(platform, xml).id).settings == {"prepare": {"deny": ["transfer"]}}
