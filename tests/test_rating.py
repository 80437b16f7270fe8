"""From probability to the published rating: rounding, verdict cut-offs, labels, fact-check overrides."""

from __future__ import annotations

import pytest

import truthmeter
from truthmeter.rating import FAKE_BELOW, fact_check_rating, make_rating, truth_rating, verdict_for
from truthmeter.types import Article, Label, Signal, Verdict

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
    assert [v.value for v in Verdict] == ["False", "Mostly false", "Mixed", "Mostly true", "True"]


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
