"""Evidence, stances, story verdicts and outlet track records: the rules, one by one, on invented
articles (and the seeds and examples as checks against false positives)."""

from __future__ import annotations

from pathlib import Path

import pytest

import truthmeter
from conftest import SEEDS
from truthmeter.parse import extract_quotes
from truthmeter.store.base import OutletCount
from truthmeter.stories.evidence import DEBUNK_RATING, Evidence, content_words, find_evidence, is_anonymous, stance_of
from truthmeter.stories.outlets import STRENGTH, WEIGHT_RANGE, TrackRecords
from truthmeter.stories.verdict import Member, claim_of, evidence_weight, fact_check_of, rate_story
from truthmeter.types import Article, Stance, Verdict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NO_RECORDS = TrackRecords.from_counts([])


def article(body: str, title: str = "Marisol Vantreece And Ivo Orlby Engaged", **kw: object) -> Article:
    return Article(id=kw.pop("id", "x"), title=title, body=body, quotes=extract_quotes(body), **kw)  # type: ignore[arg-type]


def member(i: int, p: float, *, body: str = "", title: str = "Marisol Vantreece And Ivo Orlby Engaged",
           date: str | None = None, outlet: str | None = None, rating: int | None = None) -> Member:
    a = article(body, title, id=f"a{i}", outlet=outlet, date=date, fact_check_rating=rating)
    ev = find_evidence(a)
    return Member(content_hash=f"h{i}", article_id=a.id, title=title, outlet=outlet,
                  outlet_key=outlet.lower() if outlet else None, date=date, order=i, p_true=p,
                  truth_rating=round(10 * p), people=("marisol vantreece", "ivo orlby"), evidence=ev,
                  fact_check=fact_check_of(a, f"h{i}", ev))


# ---- evidence ----

def test_on_record_and_anonymous_quotes() -> None:
    ev = find_evidence(article('"We are so happy together," Marisol Vantreece told reporters. '
                               '"They fight all the time, it is over," an insider said.'))
    assert [q.speaker for q in ev.on_record] == ["Marisol Vantreece"]
    assert [q.speaker for q in ev.anonymous] == ["an insider"]
    assert not ev.anonymous_only
    assert is_anonymous("a source close to the couple") and not is_anonymous("a representative for Vantreece")
    assert find_evidence(article('"It is over," a source said. Sources say the pair split.')).anonymous_only


@pytest.mark.parametrize("text", [
    "A rep for Vantreece denied the report.", "The claim is completely false.", "That story is not true.",
    "Her publicist said the quotes were fabricated.", "The whole thing is made up, her rep said.",
    "Orlby shot down the rumors on Monday.", "There is no truth to the report, a spokesperson said.",
])
def test_denials_found(text: str) -> None:
    assert find_evidence(article(text)).denials, text


@pytest.mark.parametrize("text", [
    "Vantreece did not deny the report.", "Her rep would neither confirm nor deny the engagement.",
    "The band is made up of four friends.", "She made up her mind to leave.", "He was denied access to the set.",
    "She wore false eyelashes to the premiere.", "They never denied it.",
])
def test_no_denial_false_positives(text: str) -> None:
    assert not find_evidence(article(text)).denials, text


def test_confirmations_and_negated_ones() -> None:
    ev = find_evidence(article("Her rep confirmed the news. Vantreece told PEOPLE she is thrilled. "
                               "Orlby said in a statement that the tour goes on."))
    assert [c.text for c in ev.confirmations] == ["confirmed", "told PEOPLE", "in a statement"]
    assert not find_evidence(article("The rumour is unconfirmed and her rep declined to confirm it.")).confirmations


def test_denial_attribution() -> None:
    ev = find_evidence(article('A representative for Vantreece told us that the story is "completely made up." '
                               "Orlby's publicist also denied the report."))
    assert [(d.text, d.by, d.quoted) for d in ev.denials] == [
        ("completely made up", "A representative for Vantreece", True),
        ("denied", "Orlby's publicist", False)]


def test_debunk_only_in_the_writers_own_words() -> None:
    assert find_evidence(article("Gossip Cop can correct this phony tale.")).debunk
    assert find_evidence(article("But the report is completely false, and the pair are not dating.")).debunk
    quoted = find_evidence(article('"The report is completely false," her rep said.'))
    assert quoted.debunk is None and quoted.denials  # someone's denial, not the writer's verdict
    assert find_evidence(article("It is not true that she left the band.")).debunk is None


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")))
def test_seeds_have_no_denial_or_debunk(path: Path) -> None:
    (a,) = truthmeter.read(path)
    ev = find_evidence(a)
    assert ev.debunk is None and not ev.denials


def test_evidence_json_roundtrip() -> None:
    ev = find_evidence(article('"It is over," an insider said. Her rep denied it. "We are fine," Orlby '
                               "told PEOPLE. Gossip Cop can correct the report."))
    assert Evidence.from_json(ev.to_json()) == ev


# ---- stance ----

def test_stance_rules() -> None:
    topic = content_words("Marisol Vantreece And Ivo Orlby Engaged", ["marisol vantreece"])
    plain, people = find_evidence(article("They were seen together.")), ("marisol vantreece",)

    def stance(ev: Evidence, rating: int | None = None, *, claim: bool = False, title: str = "Vantreece Engaged",
               who: tuple[str, ...] = people) -> Stance:
        return stance_of(ev, rating, is_claim=claim, words=content_words(title, who), topic=topic)[0]

    assert stance(plain, 10) is Stance.SUPPORTS and stance(plain, 5) is Stance.SUPPORTS
    assert stance(plain, 4) is Stance.CONTRADICTS
    assert stance(find_evidence(article("Gossip Cop can correct the report."))) is Stance.CONTRADICTS
    denial = find_evidence(article("Her rep denied the engagement report."))
    assert stance(denial) is Stance.CONTRADICTS and stance(denial, claim=True) is Stance.SUPPORTS
    assert stance(plain) is Stance.SUPPORTS
    assert stance(plain, title="Weather Turns Cold", who=()) is Stance.UNRELATED
    # A denial of something else does not contradict the claim.
    assert stance(find_evidence(article("The chef denied that the soup was cold."))) is Stance.SUPPORTS


def test_claim_prefers_the_first_report_that_denies_nothing() -> None:
    fc = member(0, 0.1, rating=2, title="Vantreece Not Engaged")
    denial = member(1, 0.9, body="Her rep denied the engagement report.", date="2024-01-01")
    rumour = member(2, 0.2, body="An insider says they are engaged.", date="2024-01-05")
    assert claim_of([fc, denial, rumour]) is rumour
    assert claim_of([fc, denial]) is denial and claim_of([fc]) is None


# ---- verdict ----

def test_latest_fact_check_decides_and_is_the_reason() -> None:
    old = member(0, 0.9, rating=8, date="2024-01-01", outlet="Checker", title="Vantreece Engaged, Rated")
    new = member(1, 0.1, rating=2, date="2024-02-01", outlet="Checker", title="Vantreece Engagement Debunked")
    v = rate_story([member(2, 0.9), new, old], NO_RECORDS)
    assert (v.rating, v.fact_check_rating, v.verdict) == (2, 2, Verdict.FALSE)
    assert v.signals[0].name == "fact_check" and v.signals[0].text == "Truth rating: 2 (Checker)"
    assert v.signals[0].weight == -3.0
    assert [s.name for s in v.signals[1:]] == ["earlier_fact_check", "articles"]


def test_debunk_wording_is_a_fact_check_rated_1() -> None:
    debunk = member(1, 0.8, body="Gossip Cop can correct this tale. They are not engaged.", outlet="Gossip Cop")
    assert debunk.fact_check is not None and debunk.fact_check.basis == "wording"
    v = rate_story([member(0, 0.6, body="An insider says they are engaged."), debunk], NO_RECORDS)
    assert v.rating == DEBUNK_RATING and v.stances["h1"][0] is Stance.CONTRADICTS
    assert v.signals[0].text.startswith("Debunked")


def test_weighted_mean_without_fact_checks() -> None:
    on_record = member(0, 0.9, body='"We are engaged," Marisol Vantreece told reporters.')
    anonymous = member(1, 0.1, body='"They are engaged," an insider said.')
    assert evidence_weight(on_record.evidence)[0] == 1.5 and evidence_weight(anonymous.evidence)[0] == 0.5
    v = rate_story([on_record, anonymous], NO_RECORDS)
    assert v.rating == 7 and v.fact_check_rating is None  # (1.5 * 0.9 + 0.5 * 0.1) / 2 = 0.7
    assert sum(s.weight for s in v.signals) == pytest.approx(10 * 0.7 - 5)
    # A credible denial pulls the story down; an incredible one cannot push it up.
    denial = member(2, 0.9, body="Her rep denied the engagement report.")
    assert rate_story([anonymous, denial], NO_RECORDS).rating < 5
    shaky = member(3, 0.05, body="Her rep denied the engagement report.")
    assert rate_story([member(4, 0.3), shaky], NO_RECORDS).rating <= 5


def test_outlet_weight_moves_the_mean() -> None:
    records = TrackRecords.from_counts([OutletCount("good.test", "Good", 40, 0), OutletCount("bad.test", "Bad", 40, 40)])
    good, bad = member(0, 0.9, outlet="good.test"), member(1, 0.1, outlet="bad.test")
    assert rate_story([good, bad], records).rating > rate_story([good, bad], NO_RECORDS).rating == 5


def test_examples_fact_check_story_is_rated_1() -> None:
    (a,) = truthmeter.read(EXAMPLES / "01_vance_engagement_factcheck.txt")
    ev = find_evidence(a)
    m = Member("h", a.id, a.title, a.outlet, None, a.date, 0, 0.1, 1, (), ev, fact_check_of(a, "h", ev))
    v = rate_story([m], NO_RECORDS)
    assert (v.rating, v.fact_check_rating, v.verdict) == (1, 1, Verdict.FALSE)
    assert v.stances["h"][0] is Stance.CONTRADICTS
    assert any(d.by and "Vance" in d.by for d in ev.denials)


# ---- outlet track records ----

def test_track_record_shrinkage_and_weights() -> None:
    records = TrackRecords.from_counts([OutletCount("a.test", "A", 1, 1), OutletCount("b.test", "B", 100, 100),
                                        OutletCount("c.test", "C", 99, 0)])
    prior = 101 / 200
    a = records.records["a.test"]
    assert a.share_false == 1.0 and a.shrunk_false == pytest.approx((1 + STRENGTH * prior) / (1 + STRENGTH))
    assert 0.8 < a.weight < 1.0  # one false story moves a newcomer a little
    assert records.weight("b.test") == WEIGHT_RANGE[0] and records.weight("c.test") > 1.9
    assert records.weight("unknown.test") == 1.0 and records.weight(None) == 1.0
    assert [r.key for r in records.ranked()] == ["b.test", "c.test", "a.test"]
    assert TrackRecords.from_counts([]).prior_false == 0.5
