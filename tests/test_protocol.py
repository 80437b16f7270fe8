"""The comparison protocol: time-ordered split, rank AUC, bootstrap intervals, the stock baseline,
and the card's diagnostics built on them."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from conftest import labelled_rows
from truthmeter.model.diagnostics import split_summary, val_report
from truthmeter.model.protocol import Interval, StockBaseline, auc, macro_f1, scored, time_split
from truthmeter.types import Article, Verdict


def _article(i: int, date: str | None, label: int | None = 0, words: int = 30) -> Article:
    return Article(id=f"a{i}", title=f"Title {i}", body=" ".join(["word"] * words), date=date, label=label)


def test_time_split_fits_on_the_oldest_and_chooses_on_the_newest() -> None:
    arts = [_article(i, f"2017-{(i % 12) + 1:02d}-01") for i in range(20)] + [_article(99, None)]
    fit, dev = time_split(arts, 0.8)
    assert len(fit) + len(dev) == 21 and len(dev) == 4
    assert max((a.date or "") for a in fit) <= min(a.date or "" for a in dev)
    assert _article(99, None).id in {a.id for a in fit}  # undated never lands where choices are made


def test_time_split_leaves_out_unlabelled_and_rejects_a_bad_share() -> None:
    arts = [_article(i, "2018-01-01", label=None if i % 2 else 1) for i in range(10)]
    fit, dev = time_split(arts)
    assert all(a.label is not None for a in fit + dev) and len(fit) + len(dev) == 5
    with pytest.raises(ValueError, match="fit_share must be between 0 and 1, got 1.0"):
        time_split(arts, 1.0)


def test_rank_auc_and_macro_f1_equal_sklearn() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(size=300) + y, 1)  # ties on purpose
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    pred = (s > 0.5).astype(int)
    assert macro_f1(y, pred) == pytest.approx(f1_score(y, pred, average="macro"))
    assert np.isnan(auc(np.ones(5), np.arange(5.0)))


def test_bootstrap_intervals_hold_the_value_and_narrow_with_more_data() -> None:
    rng = np.random.default_rng(0)
    widths = []
    for n in (200, 2000):
        y = rng.integers(0, 2, n)
        p = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.2, n), 0, 1)
        s = scored(y, p, 0.5, rounds=300)
        for iv in (s.auc, s.macro_f1, s.ece):
            assert iv.lo <= iv.value <= iv.hi
        widths.append(s.auc.hi - s.auc.lo)
        assert s.n == n and s.n_fake == int((y == 0).sum())
    assert widths[1] < widths[0] / 2
    assert Interval(0.9, 0.88, 0.92).above(Interval(0.85, 0.8, 0.87))
    assert not Interval(0.9, 0.86, 0.92).above(Interval(0.85, 0.8, 0.87))


def test_stock_baseline_separates_classes_it_was_trained_on(tmp_path) -> None:
    import truthmeter
    from conftest import write_jsonl

    rows = labelled_rows(80, seed=5)
    arts = [a for a in truthmeter.read(write_jsonl(tmp_path / "d.jsonl", rows)) if isinstance(a, Article)]
    fit, held = arts[:60], arts[60:]
    p = StockBaseline().fit(fit).p_true(held)
    y = np.array([1 - a.label for a in held])
    assert p.shape == (20,) and ((p >= 0) & (p <= 1)).all()
    assert auc(y, p) > 0.8


def test_diagnostics_count_verdicts_by_class_and_lengths() -> None:
    arts = [_article(i, "2018-05-01", label=i % 2, words=5 if i < 4 else 80) for i in range(12)]
    is_true = np.array([1 - a.label for a in arts])
    p = np.where(is_true == 1, 0.9, 0.2)
    verdict = lambda pt, a: Verdict.UNRATED if len(a.text.split()) < 12 else (  # noqa: E731
        Verdict.TRUE if pt > 0.5 else Verdict.FALSE)
    report = val_report(arts, is_true, p, 0.5, verdict)
    assert report["confusion"] == {"real_as_real": 6, "real_as_fake": 0, "fake_as_real": 0, "fake_as_fake": 6}
    assert report["verdicts"]["fake"]["Unrated"] == 2 and report["verdicts"]["fake"]["False"] == 4
    assert report["verdicts"]["real"]["True"] == 4 and sum(report["verdicts"]["real"].values()) == 6
    assert [r["n"] for r in report["by_length"]] == [4, 8]
    assert split_summary(arts) == {"n": 12, "fake_share": 0.5, "first_date": "2018-05-01", "last_date": "2018-05-01"}


def test_paired_auc_difference_sees_what_separate_intervals_miss() -> None:
    from truthmeter.model.protocol import auc_difference

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    base = y + rng.normal(0, 1.0, 400)
    better = base + 0.3 * y  # the same errors, a little more signal: a small, real gain
    a, b = scored(y, better, 0.5, rounds=300), scored(y, base, 0.5, rounds=300)
    assert not a.auc.above(b.auc)  # the separate intervals overlap...
    d = auc_difference(y, better, base, rounds=300)
    assert d.lo > 0 and d.value == pytest.approx(a.auc.value - b.auc.value)  # ...the paired one does not
    same = auc_difference(y, base, base, rounds=50)
    assert same.value == same.lo == same.hi == 0.0
