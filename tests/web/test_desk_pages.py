"""The editor's desk with the evidence: the story under review shows its claim, quotes, denials, fact-checks,
each article's text and link and the model's reasons; the verdict in prose is edited there (stored, audited);
publishing asks for confirmation; the queue shows one kind of date, labelled; the audit log names stories by
their claim. httpx over the ASGI app."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import escape

from truthmeter import pipeline
from truthmeter.store import Store

from .conftest import SyncClient
from .test_claim_pages import _story, _text
from .test_pages import _section
from .test_reader_pages import ARTICLES

DEBUNK = "Marisol Vance Is Not Engaged To Dex Harrow, Despite Tabloid Claim"


@pytest.fixture()
def sid(store: Store) -> str:
    report = pipeline.ingest_articles(ARTICLES, store, pipeline.load_model())
    assert report.new_stories == 1, report
    return _story(store, ARTICLES[0].title)


def test_the_story_under_review_shows_the_evidence(client: SyncClient, store: Store, sid: str,
                                                   editor_session: tuple[str, str]) -> None:
    page = client.get(f"/desk/stories/{sid}").text
    assert '<form class="claim-form"' in page and 'name="action" value="claim"' in page  # the claim, editable
    sources = _section(page, "articles")
    rows = re.findall(r'<li class="article-row">(.*?)</li>', sources, re.S)
    assert len(rows) == 3
    for article, row in zip(ARTICLES, rows):
        assert f'<a href="{article.url}" rel="nofollow noopener noreferrer">' in row  # its link
        body = re.search(r'<details class="article-body">\s*<summary>Article text \((\d+) words\)</summary>\s*'
                         r'<div class="article-text">(.*?)</div>\s*</details>', row, re.S)  # its text, collapsed
        assert body and html.unescape(body.group(2)) == article.body
        assert int(body.group(1)) == len(article.body.split())
    denials = _text(_section(page, "denials"))
    assert "Denials completely false — a representative for Ackerly" in denials
    for section in ("fact-checks", "quotes", "reasons"):
        _section(page, section)
    reasons = _text(_section(page, "reasons"))
    assert "(Glitz Daily) states the claim" in reasons and "p_true" not in reasons
    nav = re.search(r'<nav class="jump"[^>]*>(.*?)</nav>', page, re.S).group(1)  # type: ignore[union-attr]
    assert _text(nav) == "Sources (3) Fact-checks (0) Quotes (0) Denials (1) Model's reasons"


def test_fact_checks_and_quotes_at_the_desk(client: SyncClient, store: Store, editor_session: tuple[str, str]) -> None:
    page = client.get(f"/desk/stories/{_story(store, DEBUNK)}").text
    assert "<strong>1/10</strong> by The Rumor Desk" in _section(page, "fact-checks")
    assert "<q>Marisol and Dex are friends" in _section(page, "quotes")


def test_publishing_asks_for_confirmation(client: SyncClient, store: Store, sid: str,
                                          editor_session: tuple[str, str]) -> None:
    csrf, url = editor_session[1], f"/desk/stories/{sid}"
    assert 'value="publish">Publish with the model&#39;s rating…</button>' in client.get(url).text
    client.post(url, data={"action": "save", "rating": "1", "note": "The rep denied it.", "csrf_token": csrf})
    asked = client.post(url, data={"action": "publish", "csrf_token": csrf})
    assert asked.status_code == 200 and store.desk.review(sid).status.value == "reviewed"  # type: ignore[union-attr]
    page = asked.text
    assert "<h1>Publish this verdict?</h1>" in page
    assert '<span class="final-rating">1/10</span>' in page and '<span class="verdict v-false">False</span>' in page
    assert "<p class=\"summary\">A representative for Ackerly denied it" in page  # the prose readers will get
    form = re.search(r'<form class="confirm-form" method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form and form.group(1) == url
    assert '<input type="hidden" name="confirm" value="yes">' in form.group(2)
    assert f'name="csrf_token" value="{csrf}"' in form.group(2) and f'<a href="{url}">Cancel</a>' in form.group(2)
    assert "<script" not in page  # no inline script: a page, not a dialog
    for wrong in ("", "no", "YES "):
        assert client.post(url, data={"action": "publish", "confirm": wrong, "csrf_token": csrf}).status_code == 200
    assert store.desk.review(sid).status.value == "reviewed"  # type: ignore[union-attr]
    done = client.post(url, data={"action": "publish", "confirm": "yes", "csrf_token": csrf})
    assert done.status_code == 303 and store.desk.review(sid).status.value == "published"  # type: ignore[union-attr]
    assert client.post(url, data={"action": "publish", "confirm": "yes"}).status_code == 403  # CSRF still checked


def test_an_unrated_story_cannot_reach_the_confirmation(client: SyncClient, store: Store,
                                                        editor_session: tuple[str, str]) -> None:
    report = pipeline.ingest_articles([pipeline.submitted(text="Quillon Dravik wed.", title="Wed")], store,
                                      pipeline.load_model())
    assert report.new_stories == 1
    unrated = next(s.id for s in store.list_stories(verdict="Unrated"))
    answer = client.post(f"/desk/stories/{unrated}", data={"action": "publish", "csrf_token": editor_session[1]})
    assert answer.status_code == 409 and "needs an editor&#39;s rating" in answer.text


def test_the_desk_writes_the_verdict_in_prose(client: SyncClient, store: Store, sid: str,
                                              editor_session: tuple[str, str]) -> None:
    csrf, url = editor_session[1], f"/desk/stories/{sid}"
    page = client.get(url).text
    generated = html.unescape(re.search(r'<textarea name="summary"[^>]*>(.*?)</textarea>', page, re.S).group(1))  # type: ignore[union-attr]
    assert generated.startswith("A representative for Ackerly denied it")
    # Sent back unchanged, the generated text stays generated (it keeps following the evidence): no write.
    assert client.post(url, data={"action": "summary", "summary": generated, "csrf_token": csrf}).status_code == 303
    assert store.desk.review(sid) is None and store.desk.audit()[0].action.value != "summary"
    written = "Ackerly's representative called the report completely false; two tabloids ran it on sources."
    answer = client.post(url, data={"action": "summary", "summary": written, "csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == f"{url}#summary"
    assert store.desk.review(sid).summary == written  # type: ignore[union-attr]
    page = client.get(url).text
    assert f">{escape(written)}</textarea>" in page and "Written by editor." in page
    assert f'<q class="generated-summary">{escape(generated)}</q>' in page
    too_long = client.post(url, data={"action": "summary", "summary": "x" * 1001, "csrf_token": csrf})
    assert too_long.status_code == 400 and "at most 1000 characters" in too_long.text
    assert f'>{"x" * 1001}</textarea>' in too_long.text  # what was typed comes back
    audit = client.get("/desk/audit").text
    row = re.search(r'<tr class="audit-entry">(.*?)</tr>', audit, re.S).group(1)  # type: ignore[union-attr]
    assert '<td class="audit-action" data-label="Action">summary</td>' in row
    assert (f'<td class="claim-change" data-label="Verdict text">from <q class="previous-claim">(none)</q> to '
            f'<q class="new-claim">{escape(written)}</q></td>') in row


def test_the_queue_shows_one_kind_of_date_labelled(client: SyncClient, store: Store,
                                                   editor_session: tuple[str, str]) -> None:
    page = client.get("/desk").text
    heads = re.findall(r"<th>([^<]+)</th>", re.search(r"<thead>(.*?)</thead>", page, re.S).group(1))  # type: ignore[union-attr]
    assert heads == ["Claim", "Model rating", "Suspicion", "Tips", "Articles", "Last updated"]
    rows = re.findall(r'<tr class="queue-item">(.*?)</tr>', page, re.S)
    assert rows
    stories = {q.story.id: q.story for q in store.desk.queue()}
    for row in rows:
        sid = re.search(r'href="/desk/stories/([^"]+)"', row).group(1)  # type: ignore[union-attr]
        cell = re.search(r'<td class="updated" data-label="Last updated">(.*?)</td>', row, re.S).group(1)  # type: ignore[union-attr]
        assert f'<time datetime="{stories[sid].updated_at}">' in cell  # the story's change time, never an article date
        assert re.fullmatch(r"<time [^>]+>\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC</time>", cell)
    assert "Last updated: when the story last changed here" in page


def test_the_audit_log_names_stories_by_their_claim(client: SyncClient, store: Store, sid: str,
                                                    editor_session: tuple[str, str]) -> None:
    store.desk.set_rating(sid, 1, "The rep denied it.", editor="editor")
    page = client.get("/desk/audit").text
    row = re.search(r'<tr class="audit-entry">(.*?)</tr>', page, re.S).group(1)  # type: ignore[union-attr]
    claim = store.get_story(sid).story.claim.text  # type: ignore[union-attr]
    assert (f'<td class="audit-target" data-label="Target"><a class="story-title" href="/desk/stories/{sid}">'
            f'{escape(claim)}</a> <span class="story-id">{sid}</span></td>') in row
    login = [r for r in re.findall(r'<tr class="audit-entry">(.*?)</tr>', page, re.S) if ">login<" in r][0]
    assert '<span class="target-id">editor</span>' in login and "/desk/stories/" not in login  # not a story
