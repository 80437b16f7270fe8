"""Training recipe options: sigmoid calibration (saved and reloaded), augmentation rows that shape the
weights only, cue family scale, and the `train` command's --params / --baseline flags."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import labelled_rows
from truthmeter.cli import main
from truthmeter.features import create, make_doc
from truthmeter.model import TrainConfig, TruthModel, train
from truthmeter.model.calibrate import SigmoidCalibrator, fit_calibrator
from truthmeter.model.card import render_card
from truthmeter.model.train import SHIPPED
from truthmeter.types import Article

CONFIG = TrainConfig(families=("lexical.v1", "sourcing.v1"), folds=3)


def _docs(articles: list) -> list:
    return [make_doc(a) for a in articles]


def test_sigmoid_calibration_keeps_the_order_and_survives_save_load(labelled_articles: list, tmp_path: Path) -> None:
    model = train(labelled_articles, config=replace(CONFIG, calibration="sigmoid")).model
    assert isinstance(model.calibrator, SigmoidCalibrator) and model.meta["calibration"] == "sigmoid"
    docs = _docs(labelled_articles)
    p = model.predict_proba(docs)
    cal = model.calibrator
    mid = np.linspace(-cal.b / cal.a - 1 / cal.a, -cal.b / cal.a + 1 / cal.a, 50)  # around P(true) = 0.5
    assert cal.a > 0 and np.all(np.diff(cal(mid)) > 0)  # strictly increasing: no isotonic steps
    loaded = TruthModel.load(model.save(tmp_path / "m"))
    assert isinstance(loaded.calibrator, SigmoidCalibrator)
    assert np.array_equal(loaded.predict_proba(docs), p)


def test_unknown_calibration_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown calibration 'beta' \\(known: isotonic, sigmoid\\)"):
        fit_calibrator(np.array([0.0, 1.0]), np.array([0, 1]), "beta")


def test_augmentation_shapes_weights_but_not_calibration_or_metrics(labelled_articles: list) -> None:
    extra = [Article(id=f"x{i}", title=f"Shock claim {i}", body="An insider claims a secret feud, sources say.",
                     label=1) for i in range(20)]
    plain = train(labelled_articles, config=CONFIG)
    augmented = train(labelled_articles, config=CONFIG, augment=extra)
    assert augmented.model.meta["n_augment"] == 20 and plain.model.meta["n_augment"] == 0
    assert augmented.oof.n == plain.oof.n == len(labelled_articles)  # metrics on the real rows only
    assert not np.array_equal(augmented.model.coef, plain.model.coef)


def test_cue_scale_is_saved_and_scales_the_columns(labelled_articles: list) -> None:
    docs = _docs(labelled_articles)
    unit, small = create("sourcing.v1"), create("sourcing.v1", {"scale": 0.1})
    unit.fit(docs)
    small.fit(docs)
    assert unit.params() == {} and small.params() == {"scale": 0.1}
    assert np.allclose(small.transform(docs).toarray(), 0.1 * unit.transform(docs).toarray())


def test_shipped_recipe_is_what_the_default_model_was_trained_with() -> None:
    import truthmeter

    meta = truthmeter.load_model().meta
    assert list(SHIPPED.families) == meta["families"] and SHIPPED.params == meta["params"]
    assert SHIPPED.C == meta["C"] and SHIPPED.calibration == meta["calibration"]


def test_train_command_takes_params_and_a_baseline(tmp_path: Path) -> None:
    from conftest import write_jsonl

    data = write_jsonl(tmp_path / "d.jsonl", labelled_rows(40, seed=3))
    baseline = tmp_path / "gap.json"
    baseline.write_text(json.dumps({"rows": [{"set": "(a) dev", "model": "stock sklearn", "n": 10,
                                              "auc": {"value": 0.8, "lo": 0.7, "hi": 0.9}}]}))
    out = tmp_path / "m"
    result = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(out), "--family", "lexical.v1",
                                       "--params", '{"lexical.v1": {"word_bits": 12, "char_bits": 12}}',
                                       "--calibration", "sigmoid", "--baseline", str(baseline)])
    assert result.exit_code == 0, result.output
    model = TruthModel.load(out)
    assert model.families[0].params()["word_bits"] == 12 and model.meta["baseline"]["rows"][0]["n"] == 10
    card = (out / "MODEL_CARD.md").read_text()
    assert "| (a) dev | stock sklearn | 10 | 0.8 [0.7, 0.9] |" in card
    assert "sigmoid calibration" in card and "## What the model leans on" in card
    bad = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(out), "--params", "[1]"])
    assert bad.exit_code == 2 and '--params: expected {"family": {"setting": value}}' in bad.output


def test_card_renames_the_old_recall_drop_with_its_sign(tiny_result) -> None:
    model = tiny_result.model
    old = dict(model.meta)
    try:
        model.meta["robustness"] = {"rewrite: recall drop (points)": -23.9}
        card = render_card(model, ["d"], [], "cmd")
    finally:
        model.meta.clear()
        model.meta.update(old)
    assert "| rewrite: recall change, original -> ChatGPT version (points) | 23.9 |" in card
