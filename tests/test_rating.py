"""From probability to the published rating: rounding, verdict cut-offs, labels, fact-check overrides."""

from __future__ import annotations

import pytest

import truthmeter
from truthmeter.features import make_doc
from truthmeter.pipeline import submitted
from truthmeter.rating import (FAKE_BELOW, MIN_WORDS, evidence_for, fact_check_rating, make_rating, truth_rating,
                               verdict_for)
from truthmeter.types import Article, Label, Quote, RatedArticle, Signal, Verdict

EXPECTED_VERDICT = {0: Verdict.FALSE, 1: Verdict.FALSE, 2: Verdict.FALSE,
                    3: Verdict.MOSTLY_FALSE, 4: Verdict.MOSTLY_FALSE,
                    5: Verdict.MIXED,
                    6: Verdict.MOSTLY_TRUE, 7: Verdict.MOSTLY_TRUE,
                    8: Verdict.TRUE, 9: Verdict.TRUE, 10: Verdict.TRUE}
SIG = (Signal("lexical.v1:source", -0.4, "source", 3, 9), Signal("sourcing.v1:interview", 0.2))


@pytest.mark.parametrize("rating", range(11))
def test_verdict_cut_offs(rating: int) -> None:
    assert verdict_for(rating) is EXPECTED_VERDICT[rating]


def test_verdict_words() -> None:
    assert [v.value for v in Verdict] == ["False", "Mostly false", "Mixed", "Mostly true", "True", "Unrated"]


@pytest.mark.parametrize("p, rating", [
    (0.0, 0), (0.005, 0), (0.0499, 0), (0.05, 1), (0.0501, 1), (0.149, 1), (0.15, 2), (0.25, 3),
    (0.35, 4), (0.449, 4), (0.45, 5), (0.5, 5), (0.549, 5), (0.55, 6), (0.65, 7), (0.75, 8), (0.85, 9),
    (0.9499, 9), (0.95, 10), (0.995, 10), (1.0, 10),
    (-0.2, 0), (1.7, 10),  # out of range is clamped, never outside 0-10
])
def test_truth_rating_rounds_halves_up(p: float, rating: int) -> None:
    r = truth_rating(p)
    assert r == rating and type(r) is int


def test_make_rating() -> None:
    r = make_rating(0.83, 0.57, SIG, "m1")
    assert (r.p_true, r.truth_rating, r.verdict, r.label, r.signals, r.model) == (
        0.83, 8, Verdict.TRUE, Label.REAL, SIG, "m1")
    assert r.fact_check_rating is None and not r.is_fact_check


@pytest.mark.parametrize("p, threshold, label", [
    (0.57, 0.57, Label.REAL),   # at the threshold is real
    (0.5699, 0.57, Label.FAKE),
    (0.62, 0.70, Label.FAKE),   # rating 6 "Mostly true", yet below this model's cut: the two may disagree
    (0.30, 0.25, Label.REAL),
])
def test_label_follows_the_threshold(p: float, threshold: float, label: Label) -> None:
    r = make_rating(p, threshold, (), "m")
    assert r.label is label
    assert r.verdict is EXPECTED_VERDICT[truth_rating(p)]


@pytest.mark.parametrize("rating", range(11))
def test_fact_check_rating_overrides(rating: int) -> None:
    r = fact_check_rating(rating, SIG, "m1")
    assert r.truth_rating == rating == r.fact_check_rating and r.is_fact_check
    assert r.p_true == pytest.approx(rating / 10)
    assert r.verdict is EXPECTED_VERDICT[rating]
    assert r.label is (Label.FAKE if rating < 5 else Label.REAL)
    assert r.signals[0] == Signal(name="fact_check", weight=float(rating - 5), text=f"Truth rating: {rating}")
    assert r.signals[1:] == SIG and r.model == "m1"
    assert FAKE_BELOW == 5


def test_fact_check_overrides_the_model(tiny_result) -> None:
    body = ("Ivo Orlby has joined the cast of Moonwater, a representative for the actor confirmed. "
            "\"I am thrilled,\" Orlby told Variety in an interview.")
    plain = Article(id="a", title="Ivo Orlby Joins Moonwater", body=body)
    checked = Article(id="b", title="Ivo Orlby Joins Moonwater", body=body, fact_check_rating=2)
    a, b = truthmeter.rate([plain, checked], tiny_result.model)
    assert a.rating.truth_rating >= 8 and a.rating.label is Label.REAL and not a.rating.is_fact_check
    assert (b.rating.truth_rating, b.rating.p_true, b.rating.verdict, b.rating.label) == (
        2, 0.2, Verdict.FALSE, Label.FAKE)
    assert b.rating.signals[0].name == "fact_check" and b.rating.signals[1:] == a.rating.signals
    d = b.to_dict()
    assert (d["is_fact_check"], d["fact_check_rating"], d["truth_rating"], d["verdict"], d["label"]) == (
        True, 2, 2, "False", "fake")


# --- earned ratings: Unrated below MIN_WORDS words, True / False only with evidence in the text ------

# Long enough to be rated, with no quote, no named source, no confirmation, no anonymous source, no denial.
PLAIN = ("The singer Ivo Orlby will play three concerts in Lisbon next spring, after a summer of festival "
         "dates across the south of Europe. Tickets go on sale on Friday morning at the venues and online.")
UNRATED_TEXT = "too little text to judge"
CAP_TRUE = "capped at 7: no on-the-record quote, named source or confirmation in the text"
CAP_FALSE = "capped at 3: no anonymous sourcing, denial or fact-check in the text"


def doc(title: str, body: str = "") -> object:
    return make_doc(submitted(text=f"{title}\n\n{body}" if body else title))


@pytest.mark.parametrize("text, words", [("ok", 1), ("Hello", 1), ("Star splits from husband, insider claims", 6)])
def test_too_little_text_is_unrated(text: str, words: int) -> None:
    r = make_rating(0.97, 0.5, SIG, "m", doc(text))
    assert (r.truth_rating, r.verdict) == (None, Verdict.UNRATED)
    assert r.signals[0] == Signal("unrated", 0.0, text=f"{UNRATED_TEXT}: {words} word{'s' if words > 1 else ''}")
    assert r.signals[1:] == SIG  # the model's own signals stay, and still add up
    assert (r.p_true, r.label) == (0.97, Label.REAL)  # the model's output is kept for researchers
    d = RatedArticle(Article(id="x", title=text, body=""), r).to_dict()
    assert (d["truth_rating"], d["verdict"], d["signals"][0]["text"]) == (
        None, "Unrated", f"{UNRATED_TEXT}: {words} word{'s' if words > 1 else ''}")


def test_the_word_threshold() -> None:
    words = PLAIN.split()
    assert make_rating(0.6, 0.5, (), "m", doc(" ".join(words[:MIN_WORDS - 1]))).verdict is Verdict.UNRATED
    assert make_rating(0.6, 0.5, (), "m", doc(" ".join(words[:MIN_WORDS]))).truth_rating == 6


def test_true_without_evidence_is_capped_at_mostly_true() -> None:
    d = doc("Ivo Orlby Plans Lisbon Concerts", PLAIN)
    assert evidence_for(d, towards_true=True) is None and evidence_for(d, towards_true=False) is None
    r = make_rating(0.91, 0.5, SIG, "m", d)
    assert (r.truth_rating, r.verdict, r.p_true, r.label) == (7, Verdict.MOSTLY_TRUE, 0.91, Label.REAL)
    assert r.signals == (Signal("capped", 0.0, text=CAP_TRUE), *SIG)
    for p in (0.6, 0.74):  # Mostly true and below: nothing to earn, nothing said
        assert make_rating(p, 0.5, SIG, "m", d).signals == SIG


def test_false_without_evidence_is_capped_at_mostly_false() -> None:
    r = make_rating(0.04, 0.5, SIG, "m", doc("Ivo Orlby Plans Lisbon Concerts", PLAIN))
    assert (r.truth_rating, r.verdict, r.label) == (3, Verdict.MOSTLY_FALSE, Label.FAKE)
    assert r.signals[0] == Signal("capped", 0.0, text=CAP_FALSE)


@pytest.mark.parametrize("extra, cue, p_true, rating, verdict", [
    ('"We are thrilled to be back," Orlby said.', "named quote", 0.91, 9, Verdict.TRUE),
    ("A representative for the singer confirmed the dates.", "representative on record", 0.91, 9, Verdict.TRUE),
    ("Orlby told Variety the shows will be his last.", "told a named outlet", 0.91, 9, Verdict.TRUE),
    ("A source close to the singer says the tour is off.", "anonymous source", 0.04, 0, Verdict.FALSE),
    ("His team denied the report.", "denial", 0.04, 0, Verdict.FALSE),
])
def test_evidence_keeps_a_firm_rating(extra: str, cue: str, p_true: float, rating: int, verdict: Verdict) -> None:
    d = doc("Ivo Orlby Plans Lisbon Concerts", f"{PLAIN} {extra}")
    assert evidence_for(d, towards_true=verdict is Verdict.TRUE) == cue
    r = make_rating(p_true, 0.5, SIG, "m", d)
    assert (r.truth_rating, r.verdict, r.signals) == (rating, verdict, SIG)


def test_named_quote_is_evidence_from_the_parsed_quotes() -> None:
    body = f'{PLAIN} "It will be a special night," Ivo Orlby said.'
    article = submitted(text=f"Ivo Orlby Plans Lisbon Concerts\n\n{body}")
    assert any(q.speaker for q in article.quotes)
    assert make_rating(0.85, 0.5, (), "m", make_doc(article)).truth_rating == 9  # rounds 8.5 up; not capped
    assert isinstance(article.quotes[0], Quote)


def test_without_a_doc_the_rating_is_the_models() -> None:
    """Callers that have no text (tests, tools working on probabilities) get round(10 * p_true)."""
    assert make_rating(0.97, 0.5, (), "m").truth_rating == 10


def test_fact_checks_are_never_capped_or_unrated(tiny_result) -> None:
    short = Article(id="s", title="Fake", body="", fact_check_rating=10)
    long = Article(id="l", title="Ivo Orlby Plans Lisbon Concerts", body=PLAIN, fact_check_rating=0)
    a, b = truthmeter.rate([short, long], tiny_result.model)
    assert (a.rating.truth_rating, a.rating.verdict) == (10, Verdict.TRUE)
    assert (b.rating.truth_rating, b.rating.verdict) == (0, Verdict.FALSE)
    assert not {"unrated", "capped"} & {s.name for r in (a, b) for s in r.rating.signals}


def test_the_pipeline_applies_the_rule(tiny_result) -> None:
    """rate() hands make_rating the doc it built: a one-word text is Unrated whatever the model says."""
    (item,) = truthmeter.rate([submitted(text="ok")], tiny_result.model)
    assert (item.rating.truth_rating, item.rating.verdict) == (None, Verdict.UNRATED)
    assert item.rating.signals[0].text == f"{UNRATED_TEXT}: 1 word"
