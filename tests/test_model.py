"""The model: training on a tiny synthetic set, save/load, faithful explanations, determinism,
fact-checker masking, and the shipped default model re-measured on the GossipCop validation split."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import truthmeter
from conftest import SEEDS, labelled_rows
from truthmeter.errors import ModelError
from truthmeter.features import Doc, make_doc, registry
from truthmeter.model import TrainConfig, TruthModel, train
from truthmeter.model.classifier import FORMAT
from truthmeter.model.train import DEFAULT_FAMILIES
from truthmeter.types import Article


def _shared_data() -> Path | None:
    env = os.environ.get("TRUTHMETER_SHARED")
    candidates = [Path(env), Path(env) / "data"] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    return next((p for p in candidates if (p / "arg_gossipcop" / "val.jsonl").is_file()), None)


SHARED = _shared_data()


def held_out() -> list[Article]:
    """Fresh synthetic articles (another seed) the tiny model never saw."""
    rows = [dict(r, id=f"h{r['id']}") for r in labelled_rows(30, seed=7)]
    return [Article(id=str(r["id"]), title=str(r["title"]), body=str(r["content"]), label=int(r["label"]))
            for r in rows]


def explain_cases() -> list[Article]:
    """Docs of different shapes: synthetic, fact-checker names, unicode, long (windowed), the seeds."""
    cases = held_out()[:6]
    cases.append(Article(id="fc", title="Gossip Cop Busts Fake Story About Ivo Orlby",
                         body="Snopes and GossipCop both said the rumour was false. PolitiFact agreed, "
                              "and FactCheck.org too! A source close to Orlby says \"nothing happened\"."))
    cases.append(Article(id="uni", title="Şükrü İnce Und Zoë Brontë: Ein Märchen?",
                         body="İnce’s rep told Variety the engagement — “a fairytale” — is real. "
                              "Ægir Ødegård said: «Ja!» ß ﬁ Ⅻ ½ ２０１８ café naïve."))
    cases.append(Article(id="long", title="Marathon Story",
                         body=" ".join(f"word{i} reportedly said! insider" for i in range(400))))
    cases.append(Article(id="same", title="Ivo Orlby wins",
                         body="Ivo Orlby wins the award, his publicist for the show confirmed."))
    cases.extend(a for a in truthmeter.read(SEEDS) if isinstance(a, Article))
    return cases


# ---- training ----

def test_tiny_model_trains_and_generalises(tiny_result) -> None:
    model = tiny_result.model
    assert (tiny_result.n_train, tiny_result.n_excluded) == (60, 0)
    assert [f.name for f in model.families] == list(DEFAULT_FAMILIES)
    assert model.meta["folds"] == 3 and model.meta["n_train"] == 60
    assert model.meta["threshold_chosen_on"] == "out-of-fold train"
    assert tiny_result.oof.macro_f1 >= 0.9
    m = truthmeter.evaluate(held_out(), model)
    assert m.n == 30 and m.macro_f1 >= 0.9 and m.auc >= 0.9


def test_training_leaves_fact_check_pages_out(labelled_articles: list) -> None:
    extra = [Article(id="x1", title="Gossip Cop Debunks Rumor", body="The story about Ivo Orlby is false.",
                     label=1),
             Article(id="x2", title="Rated", body="A fact-check page.", label=0, fact_check_rating=9)]
    result = train([*labelled_articles, *extra], config=TrainConfig(folds=3, families=("sourcing.v1",)))
    assert (result.n_train, result.n_excluded) == (60, 2)


def test_one_class_only_is_a_data_error(labelled_articles: list) -> None:
    fakes = [a for a in labelled_articles if a.label == 1]
    with pytest.raises(truthmeter.DataError, match="both classes"):
        train(fakes, config=TrainConfig(folds=3, families=("sourcing.v1",)))


def test_same_data_and_seed_give_the_same_model(labelled_articles: list, tiny_result) -> None:
    again = train(labelled_articles, config=TrainConfig(folds=3)).model
    first = tiny_result.model
    assert np.array_equal(again.coef, first.coef)
    assert again.intercept == first.intercept and again.threshold == first.threshold
    assert np.array_equal(again.calibrator.x, first.calibrator.x)
    assert np.array_equal(again.calibrator.y, first.calibrator.y)
    assert np.count_nonzero(first.coef) > 100  # a real model, not all zeros


# ---- save / load ----

def test_save_load_round_trip(tiny_result, tmp_path: Path) -> None:
    model = tiny_result.model
    path = model.save(tmp_path / "m")
    assert sorted(p.name for p in path.iterdir()) == ["model.json", "weights.npz"]
    loaded = TruthModel.load(path)
    docs = [make_doc(a) for a in held_out()]
    assert np.array_equal(loaded.predict_proba(docs), model.predict_proba(docs))
    assert np.array_equal(loaded.coef, model.coef) and loaded.intercept == model.intercept
    assert loaded.threshold == model.threshold and loaded.C == model.C
    assert loaded.meta == json.loads(json.dumps(model.meta))
    assert [f.name for f in loaded.families] == [f.name for f in model.families]
    # and through the public loader, by directory
    assert np.array_equal(truthmeter.load_model(path).predict_proba(docs), model.predict_proba(docs))


def test_wrong_format_is_a_model_error(tiny_result, tmp_path: Path) -> None:
    path = tiny_result.model.save(tmp_path / "m")
    config = json.loads((path / "model.json").read_text())
    config["format"] = "truthmeter-model/999"
    (path / "model.json").write_text(json.dumps(config))
    with pytest.raises(ModelError) as err:
        TruthModel.load(path)
    assert str(err.value) == f"{path}: unknown model format 'truthmeter-model/999', expected {FORMAT}"


def test_missing_or_corrupt_model_is_a_model_error(tiny_result, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"not a truthmeter model"):
        TruthModel.load(tmp_path / "nowhere")
    path = tiny_result.model.save(tmp_path / "m")
    (path / "model.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"not a truthmeter model"):
        TruthModel.load(path)


def test_unknown_feature_family_is_a_model_error(tiny_result, tmp_path: Path) -> None:
    known = ", ".join(sorted(registry()))
    with pytest.raises(ModelError) as err:
        TruthModel.from_names(["sourcing.v1", "vibes.v9"])
    assert str(err.value) == f"unknown feature family 'vibes.v9' (known: {known})"
    # ... also when a saved model names one
    path = tiny_result.model.save(tmp_path / "m")
    config = json.loads((path / "model.json").read_text())
    config["families"][0]["name"] = "lexical.v0"
    (path / "model.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match=r"^unknown feature family 'lexical.v0' \(known: "):
        TruthModel.load(path)


# ---- faithful explanations ----

def _check_faithful(model: TruthModel, article: Article) -> None:
    doc = make_doc(article)
    X = model.features([doc])
    parts = model.contributions(doc)
    total = sum(c.weight for c in parts) + model.intercept
    assert total == pytest.approx(float(model.scores(X)[0]), abs=1e-6), article.id
    # passing the feature row in gives the same explanation
    assert model.contributions(doc, X[0]) == parts
    for c in parts:
        if c.name.startswith("lexical.v1:"):
            assert c.span is not None, c
        if c.span is None:
            continue
        assert doc.text[c.span.start:c.span.end] == c.span.text, c
        if c.name.startswith("lexical.v1:"):
            # the span covers exactly the tokens of the n-gram it is named after
            first = [i for i, (a, _) in enumerate(doc.offsets) if a == c.span.start]
            last = [i for i, (_, b) in enumerate(doc.offsets) if b == c.span.end]
            assert first and last, c
            gram = c.name.split(":", 1)[1]
            assert gram in {" ".join(doc.tokens[i:j + 1]) for i in first for j in last if j >= i}, c


def test_contributions_add_up_to_the_score_tiny_model(tiny_result) -> None:
    for article in explain_cases():
        _check_faithful(tiny_result.model, article)


def test_contributions_add_up_to_the_score_default_model() -> None:
    model = truthmeter.load_model()
    for article in explain_cases():
        _check_faithful(model, article)


@pytest.mark.parametrize("k", [1, 5, 12])
def test_signals_are_the_top_contributions(tiny_result, k: int) -> None:
    model = tiny_result.model
    articles = explain_cases()
    for article, rated in zip(articles, truthmeter.rate(articles, model, signals=k)):
        parts = model.contributions(make_doc(article))
        signals = list(rated.rating.signals)
        if article.is_fact_check:
            assert signals[0].name == "fact_check"
            signals = signals[1:]
        if signals and signals[0].name in ("unrated", "capped"):  # the rating's own reason (rating.py)
            assert signals[0].weight == 0.0
            signals = signals[1:]
        assert len(signals) == min(k, len(parts))
        top = sorted((abs(c.weight) for c in parts), reverse=True)[:k]
        assert [abs(s.weight) for s in signals] == top
        by_key = {(c.name, c.weight): c for c in parts}
        for s in signals:
            c = by_key[(s.name, s.weight)]
            assert (s.start, s.end, s.text) == ((c.span.start, c.span.end, c.span.text) if c.span
                                                 else (None, None, None))


# ---- fact-checker names ----

@pytest.mark.parametrize("name", ["Gossip Cop", "GossipCop", "gossip  cop", "Snopes", "PolitiFact",
                                  "FactCheck.org", "Lead Stories"])
def test_fact_checker_names_become_one_token(name: str) -> None:
    doc = make_doc(Article(id="x", title="", body=f"As {name} reported, Ivo Orlby is fine."))
    assert doc.tokens == ("as", "factchecker", "reported", "ivo", "orlby", "is", "fine")
    i = doc.tokens.index("factchecker")
    assert doc.text[slice(*doc.offsets[i])] == name


def test_fact_checker_name_does_not_change_the_default_score() -> None:
    model = truthmeter.load_model()
    texts = [f"Nerys Dravik told {fc} that her wedding is on. \"We are so happy,\" she said."
             for fc in ("Gossip Cop", "Snopes")]
    docs = [make_doc(Article(id=str(i), title="Wedding News", body=t)) for i, t in enumerate(texts)]
    assert docs[0].tokens == docs[1].tokens
    p = model.predict_proba(docs)
    assert p[0] == p[1]
    # a real outlet name in the same place is a different token, so the mask is what makes them equal
    other = make_doc(Article(id="o", title="Wedding News", body=texts[0].replace("Gossip Cop", "Variety")))
    assert other.tokens != docs[0].tokens


# ---- the shipped model ----

@pytest.mark.shared_data
@pytest.mark.skipif(SHARED is None, reason="GossipCop data not found: set TRUTHMETER_SHARED or put it at "
                                           "../shared/data/arg_gossipcop/val.jsonl")
def test_shipped_model_val_metrics_match_its_card() -> None:
    model = truthmeter.load_model()
    saved = model.meta["metrics"]["val"]  # type: ignore[index]
    m = truthmeter.evaluate(truthmeter.read(SHARED / "arg_gossipcop" / "val.jsonl"), model)
    assert m.n == saved["n"]
    assert m.threshold == saved["threshold"] == model.threshold
    for key in ("macro_f1", "auc", "ece", "accuracy"):
        assert getattr(m, key) == pytest.approx(saved[key], abs=0.005), key
    assert m.macro_f1 >= 0.77


def test_shipped_model_files() -> None:
    from truthmeter.model import DEFAULT_MODEL_DIR

    assert {p.name for p in DEFAULT_MODEL_DIR.iterdir()} >= {"model.json", "weights.npz", "MODEL_CARD.md"}
    model = truthmeter.load_model()
    assert model.meta["name"] == model.name == "truthmeter-default"
    card = (DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text()
    assert str(model.threshold) in card and "lexical.v1" in card


def test_load_model_honours_the_setting(tiny_result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tiny_result.model.save(tmp_path / "m")
    monkeypatch.setenv("TRUTHMETER_MODEL", str(path))
    docs = [make_doc(a) for a in held_out()[:4]]
    assert np.array_equal(truthmeter.load_model().predict_proba(docs), tiny_result.model.predict_proba(docs))
    monkeypatch.setenv("TRUTHMETER_MODEL", str(tmp_path / "missing"))
    with pytest.raises(ModelError):
        truthmeter.load_model()


def test_lexical_counts_match_sklearn_on_unicode_and_windowed_docs() -> None:
    """The cached per-word columns give exactly sklearn's HashingVectorizer counts (word 1-2-grams, char_wb)."""
    from truthmeter.features import create

    lex = create("lexical.v1")
    docs = [make_doc(a) for a in explain_cases()]
    docs.append(Doc(text="", tokens=(), offsets=()))
    ours, ref = lex._counts(docs), lex._sklearn_counts(docs)
    for a, b in zip(ours, ref):
        assert a.shape == b.shape and (a != b).nnz == 0
