"""常见问题 and 新手指导 (docs/helpdesk.md, "For users"): reachable from every page's header and the
login window, searchable, answering with the guides' words, linking only to pages that exist
(or to 咨询, /problem), and loaded from data files that are checked when the portal starts."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from idp.app import create_app
from idp.help.loader import DATA, HelpDataError, load_library
from tests.support.binding_flows import on_bindings_page
from tests.support.bindings import bound_on_portal
from tests.support.login import open_login
from tests.support.portal import test_settings as portal_settings

CONSULT = "/problem?ssywxt=ZWFW"
ENTRY = re.compile(r'<article class="help-entry" id="([a-z0-9-]+)">')


def anchors(html: str) -> list[str]:
    return ENTRY.findall(html)


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


async def test_every_page_header_links_to_常见问题_新手指导_and_咨询(put, browser):
    for path in ("/help/faq", "/help/guide", "/login?window=legal"):
        page = await browser.go(path)
        assert page.status_code == 200
        for link in ('id="nav-faq" href="/help/faq">常见问题', 'id="nav-guide" href="/help/guide">新手指导',
                     f'id="nav-consult" href="{CONSULT}">咨询'):
            assert link in page.text


@pytest.mark.parametrize("window", ["legal", "personal"])
async def test_the_login_window_offers_新手指导_and_the_feedback_link(put, browser, window):
    page = await open_login(browser, window)
    assert '<a id="guide" href="/help/guide">新手指导</a>' in page.text
    assert f'<a id="feedback" href="{CONSULT}">登录遇到问题, 请反馈给我们</a>' in page.text


async def test_the_faq_lists_every_entry_of_its_data_file_with_an_anchor(put, browser):
    library = load_library()
    page = await browser.go("/help/faq")
    assert anchors(page.text) == [entry.anchor for entry in library.faq]
    for entry in library.faq:
        assert f'href="#{entry.anchor}"' in page.text  # the list of questions at the top
    guide = await browser.go("/help/guide")
    assert anchors(guide.text) == [entry.anchor for entry in library.guide]


@pytest.mark.parametrize(("anchor", "words"), [
    ("two-login-windows", ["法人登录", "个人登录", "法人授权的经办人，在“法人登录”窗口登录"]),
    ("agent-login", ["法人授权经办成功后，经办人应在“法人登录”窗口登录，而不是在个人窗口登录"]),
    ("classification-and-combination", ["不能同时绑定医疗器械分类界定信息系统、药械组合产品属性界定信息系统",
                                        "需分别绑定"]),
    ("fifteen-digit-id", ["15位", "转换为18位"]),
    ("long-term-id", ["CTID", "身份证为长期的，有效期结束时间无需选择"]),
    ("id-number-exists", ["证件号码已存在", "忘记密码", 'href="/recovery"']),
    ("undo-fixed-binding", ["不可解除", "问题分类选择“解除绑定”", "描述清楚企业名称要与哪个系统解除绑定",
                            f'href="{CONSULT}"']),
    ("upgrade-to-level-three", ["“二级”", "“三级”", "现“二级”账号可通过“咨询”留言申请删除", 'href="/upgrade"']),
    ("unlock", ["用户解锁", 'href="/unlock"']),
    ("forgot-password", ["原找回密码方式请点击此处", 'href="/recovery"']),
])
async def test_the_faq_gives_the_guides_answers(put, browser, anchor, words):
    page = await browser.go("/help/faq")
    entry = page.text.split(f'<article class="help-entry" id="{anchor}">', 1)[1].split("</article>", 1)[0]
    for word in words:
        assert word in entry


@pytest.mark.parametrize(("query", "found"), [
    ("不可解除", "undo-fixed-binding"),
    ("ctid", "long-term-id"),  # Latin letters in any case
    ("证件号码已存在", "id-number-exists"),
    ("经办人 法人登录", "agent-login"),  # several words: every one must occur
    ("15位", "fifteen-digit-id"),
    ("创建新的账号", "step-bind"),  # 新手指导's steps are searched too, linked to their page
])
async def test_search_finds_the_entry_by_title_or_answer(put, browser, query, found):
    page = await browser.client.get("/help/faq", params={"q": query})
    assert page.status_code == 200
    assert found in anchors(page.text)
    assert 'id="results"' in page.text and 'id="no-results"' not in page.text
    page_of = "guide" if found.startswith("step-") else "faq"
    assert f'href="/help/{page_of}#{found}"' in page.text


async def test_search_narrows_and_says_when_nothing_matched(put, browser):
    everything = len(load_library().faq)
    narrowed = await browser.client.get("/help/faq", params={"q": "解除绑定 咨询"})
    assert 0 < len(anchors(narrowed.text)) < everything
    nothing = await browser.client.get("/help/faq", params={"q": "量子纠缠 不可解除"})
    assert nothing.status_code == 200 and anchors(nothing.text) == []
    assert "未找到与“量子纠缠 不可解除”相关的解答" in nothing.text and f'href="{CONSULT}"' in nothing.text


async def test_a_blank_search_shows_the_whole_list_and_a_long_one_is_refused(put, browser):
    blank = await browser.client.get("/help/faq", params={"q": "   "})
    assert anchors(blank.text) == [entry.anchor for entry in load_library().faq]
    too_long = await browser.client.get("/help/faq", params={"q": "咨" * 51})
    assert too_long.status_code == 400
    assert "搜索内容不能超过50个字符" in too_long.text


async def test_search_text_is_escaped(put, browser):
    page = await browser.client.get("/help/faq", params={"q": "<script>x</script>"})
    assert "<script>x</script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text


async def test_every_link_of_every_entry_reaches_a_page_of_the_portal(put, browser):
    """The answers link to paths of the portal: each one answers (a signed-in page sends a stranger
    to the login)."""
    library = load_library()
    links = {link.href for entry in library.entries for link in entry.links}
    assert CONSULT in links and "/recovery" in links and "/unlock" in links
    for href in sorted(links):
        response = await browser.client.get(href)
        assert response.status_code in (200, 303), (href, response.status_code)
        if href.startswith("/help/"):
            assert response.status_code == 200
    faq = await browser.go("/help/faq")
    for href in hrefs(faq.text):  # the anchors within the pages resolve too
        if "#" in href:
            path, _, anchor = href.partition("#")
            target = faq if path in ("", "/help/faq") else await browser.client.get(path)
            assert f'id="{anchor}"' in target.text, href


async def test_the_binding_page_links_to_咨询_and_explains_不可解除(put, browser):
    await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统")
    await bound_on_portal(put, put.account, "udi", kind="created")
    page = (await on_bindings_page(put, put.account)).last
    row = page.text.split('<tr id="system-udi"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'<span class="fixed" title="[^"]*请通过“咨询”申请解除绑定[^"]*"', row)
    assert f'<a class="fixed-apply" href="{CONSULT}&amp;category=unbinding"' in row
    assert f'绑定业务系统遇到问题，<a id="feedback" href="{CONSULT}">请反馈给我们</a>' in page.text


# --- the data files -------------------------------------------------------------------------

def write(folder: Path, faq: str, guide: str | None = None) -> Path:
    (folder / "faq.yaml").write_text(faq, encoding="utf-8")
    (folder / "guide.yaml").write_text(guide or (DATA / "guide.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("faq", "says"), [
    ("entries: [\n", "cannot be read as YAML"),
    ("questions: []\n", "non-empty list 'entries'"),
    ("entries:\n  - id: a\n    title: 问\n", "entry 1 (a): 'answer' must be a non-empty text"),
    ("entries:\n  - id: Bad_Id\n    title: 问\n    answer: 答\n", "must be lower-case letters"),
    ("entries:\n  - id: a\n    title: 问\n    answer: 答\n    anwser: 答\n", "unknown field(s) ['anwser']"),
    ("entries:\n  - id: a\n    title: 问\n    answer: 答\n    links: [{text: 外链, href: 'https://example.com'}]\n",
     "link 1: href 'https://example.com' must be a path of the portal"),
    ("entries:\n  - id: a\n    title: 问\n    answer: 答\n  - id: a\n    title: 问\n    answer: 答\n",
     "id 'a' is used twice"),
    ("entries:\n  - id: step-login\n    title: 问\n    answer: 答\n", "id 'step-login' is used twice"),
])
def test_a_malformed_data_file_is_refused_naming_file_entry_and_problem(tmp_path, faq, says):
    with pytest.raises(HelpDataError) as refused:
        load_library(write(tmp_path, faq))
    assert says in str(refused.value) and "faq.yaml" in str(refused.value)


def test_the_portal_does_not_start_with_a_malformed_data_file(tmp_path, monkeypatch):
    monkeypatch.setattr("idp.help.loader.DATA", write(tmp_path, "entries: []\n"))
    with pytest.raises(HelpDataError, match="non-empty list 'entries'"):
        create_app(portal_settings("sqlite+aiosqlite:///unused.db"))
