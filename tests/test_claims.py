"""Claims: a story's claim is a plain positive sentence read from its first fact-check or report,
never a debunk's headline; who first reported it; an editor's claim is kept (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

import truthmeter
from conftest import SEEDS
from truthmeter.newsroom.records import AuditAction
from truthmeter.pipeline import ingest_articles
from truthmeter.store import open_store
from truthmeter.stories.claims import claim_sentence
from truthmeter.types import Article, ClaimBasis

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED_FILES = sorted(SEEDS.glob("*.txt"))

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.mark.parametrize("title, people, debunk, expected", [
    # a debunk loses its negation and its "despite" tail
    ("Marisol Vance Is Not Engaged To Dex Harrow, Despite Tabloid Claim", ["marisol vance", "dex harrow"], True,
     ("Marisol Vance is engaged to Dex Harrow", ClaimBasis.DEBUNK)),
    ("NO, Jennifer Aniston ISN'T PREGNANT", ["jennifer aniston"], True,
     ("Jennifer Aniston is pregnant", ClaimBasis.DEBUNK)),
    ("Brad Pitt Didn’t Buy Angelina Jolie A Castle", ["brad pitt", "angelina jolie"], True,
     ("Brad Pitt did buy Angelina Jolie a castle", ClaimBasis.DEBUNK)),
    # attribution tails and kickers go; a participle after the name gets its verb
    ("Brad Pitt Secretly Engaged To Jennifer Aniston, Insider Says", ["brad pitt", "jennifer aniston"], False,
     ("Brad Pitt is secretly engaged to Jennifer Aniston", ClaimBasis.HEADLINE)),
    ("EXCLUSIVE: Ivy Okafor And Iris Ferreira Splitting After Two Years", ["ivy okafor", "iris ferreira"], False,
     ("Ivy Okafor and Iris Ferreira are splitting after two years", ClaimBasis.HEADLINE)),
    # a yes/no question becomes a statement; ALL CAPS becomes sentence case, names kept
    ("Is Marisol Vance Quitting Music Forever?!", ["marisol vance"], False,
     ("Marisol Vance is quitting music forever", ClaimBasis.HEADLINE)),
    ("SHOCKING: DEX HARROW'S SECRET BABY REVEALED?! INSIDERS SAY MARRIAGE IS OVER!", ["dex harrow"], False,
     ("Dex Harrow's secret baby revealed", ClaimBasis.HEADLINE)),
    # a quoted title keeps its capitals; sentence case otherwise
    ('"Lindqvist Living" Renewed For A Third Season', [], False,
     ('"Lindqvist Living" renewed for a third season', ClaimBasis.HEADLINE)),
    # a plain sentence stays as it is
    ("Nadia Harrow launches a children's book imprint", ["nadia harrow"], False,
     ("Nadia Harrow launches a children's book imprint", ClaimBasis.HEADLINE)),
])
def test_claim_from_a_headline(title: str, people: list[str], debunk: bool,
                               expected: tuple[str, ClaimBasis]) -> None:
    assert claim_sentence(title, "", people, debunk=debunk) == expected


def test_a_verbless_headline_borrows_the_lead_that_restates_it() -> None:
    title = "Khloe Kardashian First Interview About Lamar Odom In PEOPLE: We’re Not “In A Relationship Right Now”"
    body = ("Khloe Kardashian gives her first interview about Lamar Odom’s health crisis in the new issue of "
            "People, which features her on the cover. Kardashian initially spoke to the magazine before.")
    assert claim_sentence(title, body, ["khloe kardashian", "lamar odom"]) == (
        "Khloe Kardashian gives her first interview about Lamar Odom’s health crisis in the new issue of People",
        ClaimBasis.LEAD)
    # a lead about something else is not borrowed: the headline (cleaned) stays, keeping the capitals of a
    # word the body writes capitalised (the magazine), lowering the rest
    other = "Fans queued for the new issue of People on Sunday, where the cover sold out in minutes."
    assert claim_sentence(title, other, ["khloe kardashian", "lamar odom"]) == (
        "Khloe Kardashian first interview about Lamar Odom in PEOPLE", ClaimBasis.HEADLINE)


def test_a_debunk_without_negation_in_its_headline_reads_its_lead() -> None:
    body = "Tara Quill is not moving to Paris, despite a report this week. Her rep told us the story is false."
    assert claim_sentence("Tara Quill's Paris Move Story Debunked", body, ["tara quill"], debunk=True) == (
        "Tara Quill is moving to Paris", ClaimBasis.DEBUNK)


def test_a_claim_is_one_bounded_sentence() -> None:
    text, _ = claim_sentence("Lena Moravec " + "very " * 200 + "busy", "", ["lena moravec"])
    assert len(text) <= 300 and text.endswith("…")


# ---- stories carry their claim ----

def test_the_examples_debunk_story_is_about_the_positive_claim(db_target: str) -> None:
    with open_store(db_target) as store:
        truthmeter.ingest([EXAMPLES], store)
        (story,) = [s for s in store.list_stories() if "501cec57c7ec92cb" in s.article_ids]
    assert story.claim is not None
    assert (story.claim.text, story.claim.basis, story.verdict.value, story.story_rating) == (
        "Marisol Vance is engaged to Dex Harrow", ClaimBasis.DEBUNK, "False", 1)
    assert story.claim.reported_by is None  # only the fact-checker's denial is in the story: no reporter


def test_seeds_in_either_order_carry_the_fact_checks_claim(db_target: str) -> None:
    with open_store(db_target) as store:
        truthmeter.ingest([SEED_FILES[1]], store)  # the report first: its headline is the claim for now
        (before,) = store.list_stories()
        truthmeter.ingest([SEED_FILES[0]], store)  # the fact-check joins: its claim is what it rated
        (after,) = store.list_stories()
    assert before.claim is not None and before.claim.text == "Khloé defends her interview about Lamar Odom"
    assert after.claim is not None and after.id == before.id
    assert after.claim.text.startswith("Khloe Kardashian gives her first interview about Lamar Odom")
    # first reported by the report that came first (its outlet is not known), not by the later fact-check
    assert (after.claim.basis, after.claim.reported_by, after.story_rating) == (ClaimBasis.LEAD, None, 10)


def test_an_editors_claim_is_audited_and_kept_when_the_story_grows(db_target: str) -> None:
    with open_store(db_target) as store:
        truthmeter.ingest([SEED_FILES[0]], store)
        (story,) = store.list_stories()
        claim = store.desk.set_claim(story.id[:8], "  Khloé Kardashian gave PEOPLE her first   interview "
                                     "about Lamar Odom ", editor="ana")
        assert (claim.text, claim.basis, claim.edited_by) == (
            "Khloé Kardashian gave PEOPLE her first interview about Lamar Odom", ClaimBasis.EDITOR, "ana")
        truthmeter.ingest([SEED_FILES[1]], store)  # the story grows and is re-rated
        (grown,) = store.list_stories()
        (entry,) = [e for e in store.desk.audit() if e.action is AuditAction.CLAIM]
        with pytest.raises(ValueError, match="a claim needs some words"):
            store.desk.set_claim(story.id, "   ", editor="ana")
        with pytest.raises(ValueError, match=r"a claim is at most 300 characters \(this one has 301\)"):
            store.desk.set_claim(story.id, "x" * 301, editor="ana")
    assert len(grown.article_ids) == 2 and grown.claim == claim
    assert (entry.actor, entry.target, entry.detail["claim"]) == ("ana", story.id, claim.text)
    assert str(entry.detail["previous"]).startswith("Khloe Kardashian gives her first interview")


def test_a_report_names_who_first_reported_the_claim(db_target: str) -> None:
    rumour = Article(id="r1", title="Tara Quill Secretly Engaged To Bo Lind, Insider Says", outlet="Star Gazette",
                     date="2026-05-01", body="Tara Quill is secretly engaged to Bo Lind, an insider says. "
                     "The couple was spotted ring shopping in Oslo last week, the source added, and friends "
                     "expect a summer wedding by the lake.")
    with open_store(db_target) as store:
        ingest_articles([rumour], store)
        (story,) = store.list_stories()
    assert story.claim is not None
    assert (story.claim.text, story.claim.reported_by, story.claim.reported_on) == (
        "Tara Quill is secretly engaged to Bo Lind", "Star Gazette", "2026-05-01")


# ---- `rate` over several inputs groups them ----

def _rate(*args: str) -> tuple[int, list[dict[str, object]], str]:
    import json

    from click.testing import CliRunner

    from truthmeter.cli import main

    result = CliRunner().invoke(main, ["rate", "--format", "jsonl", *args])
    return result.exit_code, [json.loads(x) for x in result.stdout.splitlines()], result.stderr


def test_rate_shows_each_article_inside_its_story(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x"\n', encoding="utf-8")
    code, rows, err = _rate(*map(str, SEED_FILES), str(bad))
    assert code == 1 and err.count("error: ") == 1 and f"{bad}:1" in err
    fact_check, report = rows
    assert fact_check["story_id"] == report["story_id"] and report["truth_rating"] == 3
    assert (report["story_rating"], report["story_verdict"], report["stance"]) == (10, "True", "supports")
    assert str(report["claim"]).startswith("Khloe Kardashian gives her first interview about Lamar Odom")
    assert report["in_context"] == ("the text alone reads 3/10; the story is rated 10/10 by a Gossip Cop "
                                    "fact-check; it supports the claim")


def test_rate_no_stories_streams_the_text_alone() -> None:
    code, rows, _ = _rate("--no-stories", *map(str, SEED_FILES))
    assert code == 0 and [r["truth_rating"] for r in rows] == [10, 3]
    assert all(r["story_id"] is None and r["claim"] is None and r["in_context"] is None for r in rows)
