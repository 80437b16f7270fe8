"""outlet.v1: the shrunk track record, its keys, and how it moves a rating."""

from __future__ import annotations

import math

import numpy as np
import pytest

import truthmeter
from truthmeter.features import make_doc
from truthmeter.features.outlet import OutletPrior, outlet_key
from truthmeter.model.train import without_overlap
from truthmeter.types import Article


def art(i: int, label: int, url: str | None = None, outlet: str | None = None, body: str = "") -> Article:
    return Article(id=str(i), title=f"Story {i}", body=body or f"Body of story number {i}.", label=label,
                   url=url, outlet=outlet)


def test_outlet_key_prefers_the_url_domain() -> None:
    assert outlet_key(art(1, 0, url="https://www.Example.com/a/b")) == "example.com"
    assert outlet_key(art(1, 0, url="hollywoodlife.com/2018/05/x")) == "hollywoodlife.com"
    assert outlet_key(art(1, 0, outlet="  Page   Wire ")) == "page wire"
    assert outlet_key(art(1, 0)) is None


def test_shrinkage_pulls_small_outlets_towards_the_prior() -> None:
    rows = ([art(i, 1, url="rumours.example") for i in range(40)] +      # 40 fakes
            [art(100 + i, 0, url="wire.example") for i in range(40)] +   # 40 reals
            [art(200 + i, 1, url="tiny.example") for i in range(3)])     # 3 fakes only
    prior = OutletPrior.fit(rows, strength=10)
    p0 = 40 / 83
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert prior.lookup("wire.example") == pytest.approx(logit((40 + 10 * p0) / 50) - logit(p0))
    assert prior.lookup("rumours.example") < prior.lookup("tiny.example") < 0 < prior.lookup("wire.example")
    assert prior.lookup("unknown.example") is None and prior.lookup(None) is None


def test_outlets_seen_fewer_than_min_count_have_no_record() -> None:
    prior = OutletPrior.fit([art(1, 0, url="a.example"), art(2, 0, url="a.example")], min_count=3)
    assert prior.keys == ()


def test_a_known_outlet_moves_the_rating_and_is_a_signal(tiny_result, tmp_path) -> None:
    model = tiny_result.model
    rows = [art(i, 1, url="rumours.example") for i in range(30)] + [art(50 + i, 0, url="wire.example")
                                                                   for i in range(30)]
    model_with = truthmeter.model.TruthModel.load(model.save(tmp_path / "m"))
    model_with.outlets = OutletPrior.fit(rows)
    reloaded = truthmeter.model.TruthModel.load(model_with.save(tmp_path / "m2"))
    text = "The singer told reporters she is releasing a new album in May."
    plain, rumour = art(1, 0, body=text), art(1, 0, body=text, url="https://rumours.example/x")
    (a,) = truthmeter.rate(plain, reloaded)
    (b,) = truthmeter.rate(rumour, reloaded)
    assert b.rating.p_true < a.rating.p_true
    assert any(s.name == "outlet.v1:rumours.example" and s.weight < 0 for s in b.rating.signals)
    assert not any(s.name.startswith("outlet.v1") for s in a.rating.signals)
    assert np.allclose(reloaded.predict_proba([make_doc(rumour)]), [b.rating.p_true])


def test_training_drops_articles_that_open_like_a_held_out_one() -> None:
    held = [art(1, 1, body="Alpha beta gamma delta epsilon zeta eta theta iota kappa " * 4)]
    same_story = Article(id="2", title=held[0].title, body=held[0].body + " An extra ending.", label=1)
    other = art(3, 0, body="Completely different text about another invented singer " * 4)
    kept, dropped = without_overlap([same_story, other], held)
    assert kept == [other] and dropped == 1
