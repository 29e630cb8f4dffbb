"""政策库: search by text, group and 文号 with pages; a measure's page shows its approval history."""

import re

import pytest

from web import create_app
from workflows.policy import search_library

from .helpers import MEASURE, complete, start, task_of

TAX = {"title": "推行纳税缴费“一网通办”", "content": "税费业务全程网上办理，压缩办税时间。",
       "group_code": "start_business", "basis": "红谷滩区2022年行动方案", "kind": "general"}


def file_measure(platform, data, doc_number, opinion="同意报批"):
    out = start(platform, "drafter", "policy_measure", data)
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve", "opinion": opinion})
    return complete(platform, "office", task_of(out, "office_file"),
                    {"doc_number": doc_number, "filed_on": "2026-11-20", "opinion": "已备案"})


def client_for(platform, user="unit2", **config):
    app = create_app({"PLATFORM": platform, "SECRET_KEY": "t", "TESTING": True, "WTF_CSRF_ENABLED": False,
                      **config})
    client = app.test_client()
    client.post("/login", data={"username": user, "password": "demo12345"})
    return client


def ids_on(page: str) -> list[int]:
    return [int(part.split('"')[0]) for part in page.split('data-measure-id="')[1:]]


def measure_ids(platform, **terms) -> list[int]:
    with platform.db.reading() as session:
        return [m.id for m in search_library(session, **terms)]


@pytest.mark.parametrize("query,terms", [
    ("", {}),
    ("q=一日办结", {"text": "一日办结"}),
    ("q=税费业务", {"text": "税费业务"}),
    ("q=不存在的词", {"text": "不存在的词"}),
    ("group=start_business", {"group": "start_business"}),
    ("group=taxation", {"group": "taxation"}),
    ("doc_number=〔2026〕7", {"doc_number": "〔2026〕7"}),
    ("q=办&doc_number=3号", {"text": "办", "doc_number": "3号"}),
])
def test_library_page_finds_what_search_library_finds(platform, query, terms):
    file_measure(platform, MEASURE, "营商办〔2026〕3号")
    file_measure(platform, TAX, "营商办〔2026〕7号")
    start(platform, "drafter", "policy_measure", {**MEASURE, "title": "尚未审批的举措"})
    page = client_for(platform).get(f"/library/?{query}")
    assert page.status_code == 200
    expected = measure_ids(platform, **terms)
    assert ids_on(page.get_data(as_text=True)) == expected
    if not expected:
        assert "没有符合条件的政策举措" in page.get_data(as_text=True)


def test_only_filed_measures_are_in_the_library(sqlite_platform):
    file_measure(sqlite_platform, MEASURE, "营商办〔2026〕3号")
    start(sqlite_platform, "drafter", "policy_measure", {**MEASURE, "title": "尚未审批的举措"})
    page = client_for(sqlite_platform).get("/library/").get_data(as_text=True)
    assert MEASURE["title"] in page and "尚未审批的举措" not in page


def test_library_pages_newest_first(sqlite_platform):
    for n in range(5):
        file_measure(sqlite_platform, {**MEASURE, "title": f"举措{n}"}, f"营商办〔2026〕{n + 1}号")
    client = client_for(sqlite_platform, PAGE_SIZE=2)
    first, last = client.get("/library/").get_data(as_text=True), client.get("/library/?page=3").get_data(as_text=True)
    assert len(ids_on(first)) == 2 and len(ids_on(last)) == 1
    assert ids_on(first)[0] > ids_on(first)[1] > ids_on(last)[0]
    assert re.search(r'page-item disabled"><span class="page-link">下一页', last)
    assert not re.search(r'<a class="page-link" href="[^"]*">下一页', last)
    assert re.search(r'<a class="page-link" href="[^"]*page=2[^"]*">下一页', first)


def test_measure_page_shows_the_measure_and_its_history_with_names(platform):
    out = file_measure(platform, MEASURE, "营商办〔2026〕3号", opinion="同意，抓紧落实")
    with platform.db.reading() as session:
        [measure] = search_library(session)
    page = client_for(platform, "unit").get(f"/library/{measure.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert MEASURE["title"] in html and MEASURE["content"] in html and "营商办〔2026〕3号" in html
    assert "区市场监管局" in html and "开办企业" in html and "一般举措" in html
    history = html.split('id="measure-history"')[1]
    # drafter 张婷 submitted, leader 周建华 approved with an opinion, office 李娜 filed it.
    assert history.index("张婷") < history.index("周建华") < history.index("同意，抓紧落实") < history.index("李娜")
    assert "已备案" in history and "办结" in history
    assert out.end_event == "filed"


def test_unknown_measure_is_404(sqlite_platform):
    assert client_for(sqlite_platform).get("/library/4242").status_code == 404


def test_library_in_english(sqlite_platform):
    file_measure(sqlite_platform, MEASURE, "营商办〔2026〕3号")
    client = client_for(sqlite_platform)
    html = client.get("/library/?lang=en").get_data(as_text=True)
    assert "Policy library" in html and "Document no." in html and "General measure" in html
