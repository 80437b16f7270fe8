"""The model card: written by `truthmeter train` with its metrics, PNG plots and the tried table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import truthmeter
from conftest import CLI, cli_env, labelled_rows, write_jsonl
from truthmeter.cli import main
from truthmeter.model import DEFAULT_MODEL_DIR
from truthmeter.model.card import render_card
from truthmeter.model.plots import PLOT_FILES, PLOTS_MISSING, Plots, plots_available, reliability_bins
from truthmeter.model.tried import DASH, load_tried, merge_tried, tried_rows

PNG = b"\x89PNG\r\n\x1a\n"
TRIED = [
    {"change": "char n-grams off", "val_macro_f1": 0.71, "val_auc": 0.8, "val_ece": None, "seed002_p_true": 0.4,
     "verdict": "rejected: lower macro-F1"},
    {"change": "bigger C", "val_macro_f1": 0.7, "val_auc": None, "val_ece": 0.09, "seed002_p_true": None,
     "verdict": "rejected", "best_threshold": True},
    {"change": "recency weights", "dev_auc": 0.93, "dev_macro_f1": 0.82, "verdict": "rejected: inside the noise"},
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, labelled_file: Path) -> Path:
    """A small model trained through the installed command line, with --val and --tried."""
    tmp = tmp_path_factory.mktemp("card")
    val = write_jsonl(tmp / "val.jsonl", labelled_rows(30, seed=11))
    tried = tmp / "tried.json"
    tried.write_text(json.dumps(TRIED))
    out = tmp / "model"
    result = subprocess.run([*CLI, "train", "--data", str(labelled_file), "--val", str(val), "--out", str(out),
                             "--family", "lexical.v1", "--family", "sourcing.v1", "--tried", str(tried)],
                            capture_output=True, text=True, env=cli_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def _metric_rows(card: str) -> dict[str, list[str]]:
    """The metrics table, split -> cells."""
    head, _, *rows = card.split("## Metrics\n")[1].split("\n\n")[0].splitlines()
    assert head.startswith("| split | n | macro_f1 |")
    return {r.split(" | ")[0][2:]: [c.strip() for c in r.strip("| ").split(" | ")[1:]] for r in rows}


def test_card_has_metrics_tried_rows_and_plot_links(trained: Path) -> None:
    card = (trained / "MODEL_CARD.md").read_text(encoding="utf-8")
    model = truthmeter.load_model(trained)
    rows = _metric_rows(card)
    assert set(rows) == {"oof_train", "val"}
    keys = ["n", "macro_f1", "accuracy", "auc", "ece", "f1_real", "f1_fake", "threshold"]
    for split, values in rows.items():
        assert values == [str(model.meta["metrics"][split][k]) for k in keys]
    assert "| char n-grams off | – | – | 0.71 | 0.8 | – | rejected: lower macro-F1 |" in card
    assert "| bigger C | – | – | 0.7 † | – | 0.09 | rejected |" in card
    assert "| recency weights | 0.93 | 0.82 | – | – | – | rejected: inside the noise |" in card
    assert "seed 002" not in card and "0.4" not in card.split("## Tried")[1]  # the seeds never choose
    assert json.loads((trained / "tried.json").read_text()) == load_tried(trained / "tried.json")
    assert "## Style robustness\nNot measured." in card
    if not plots_available():
        assert PLOTS_MISSING in card
        pytest.skip("matplotlib is not installed: PNG plots not checked (pip install 'truthmeter[plots]')")
    for name in PLOT_FILES.values():
        assert f"]({name})" in card
        data = (trained / name).read_bytes()
        assert data.startswith(PNG) and len(data) < 200_000, name
    assert PLOTS_MISSING not in card


def test_without_matplotlib_the_card_says_plots_were_skipped(tmp_path: Path, labelled_file: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert not plots_available()
    out = tmp_path / "m"
    result = CliRunner().invoke(main, ["train", "--data", str(labelled_file), "--out", str(out),
                                       "--family", "sourcing.v1"])
    assert result.exit_code == 0, result.output
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert f"- {PLOTS_MISSING}" in card and ".png" not in card
    assert f"note: {PLOTS_MISSING}" in result.stderr
    assert not list(out.glob("*.png")) and not (out / "tried.json").exists()


def test_render_card_is_deterministic_and_uses_the_model_metrics(tiny_result) -> None:
    model = tiny_result.model
    args = (model, ["train.jsonl"], ["val.jsonl"], "truthmeter train ...")
    plots = Plots(files=dict(PLOT_FILES), source="val")
    first = render_card(*args, plots=plots, tried=TRIED)
    assert first == render_card(*args, plots=plots, tried=[dict(r) for r in TRIED])
    rows = _metric_rows(first)
    assert list(rows) == list(model.meta["metrics"])
    for split, m in model.meta["metrics"].items():
        assert rows[split] == [str(v) for v in m.values()]
    assert render_card(*args) == render_card(*args)
    assert "## Plots\nNot drawn." in render_card(*args)


def test_robustness_numbers_render_as_a_table(tiny_result) -> None:
    model = tiny_result.model
    saved = model.meta.get("robustness")
    try:
        model.meta["robustness"] = {"tabloid rewrite: mean P(true) shift": -0.12, "n": 40, "missing": None}
        card = render_card(model, [], [], "cmd")
    finally:
        model.meta.pop("robustness")
        if saved is not None:
            model.meta["robustness"] = saved
    assert "| measure | value |" in card
    assert "| tabloid rewrite: mean P(true) shift | -0.12 |" in card and f"| missing | {DASH} |" in card


def test_tried_files_merge_on_change_and_bad_ones_fail(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    first.write_text(json.dumps(TRIED))
    merge_tried(tmp_path, [first])
    update = tmp_path / "b.json"
    update.write_text(json.dumps([{**TRIED[0], "verdict": "rejected twice"}, {"change": "new", "verdict": "kept"}]))
    rows = merge_tried(tmp_path, [update])
    assert [r["change"] for r in rows] == ["char n-grams off", "bigger C", "recency weights", "new"]
    assert rows[0]["verdict"] == "rejected twice" and merge_tried(tmp_path) == rows
    assert tried_rows([]) and "No rejected experiments" in tried_rows([])[0]
    bad = tmp_path / "bad.json"
    for content in ('{"change": "x"}', '[{"verdict": "no change"}]', '[{"change": "x", "val_auc": "high"}]', "{"):
        bad.write_text(content)
        with pytest.raises(truthmeter.errors.DataError):
            load_tried(bad)


def test_bad_tried_file_fails_before_training(tmp_path: Path, labelled_file: Path) -> None:
    bad = tmp_path / "tried.json"
    bad.write_text('[{"change": "x", "val_auc": "high"}]')
    result = CliRunner().invoke(main, ["train", "--data", str(labelled_file), "--out", str(tmp_path / "m"),
                                       "--tried", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {bad}: 'x': val_auc must be a number or null, not 'high'"
    assert not (tmp_path / "m").exists()


def test_reliability_bins_match_the_ece_bins() -> None:
    p = np.array([0.05, 0.06, 0.55, 0.95, 1.0])
    y = np.array([0, 1, 1, 1, 0])
    mean_p, share, counts = reliability_bins(p, y)
    assert counts.tolist() == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert mean_p[0] == pytest.approx(0.055) and share[0] == 0.5 and share[9] == 0.5 and np.isnan(share[1])
    from truthmeter.model.evaluate import ece

    full = counts > 0
    assert ece(p, y) == pytest.approx(float(np.sum(counts[full] / len(p) * abs(mean_p[full] - share[full]))))


def test_shipped_card_links_its_plots_and_tried_table() -> None:
    card = (DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert tried_rows(load_tried(DEFAULT_MODEL_DIR / "tried.json")) == \
        card.split("## Tried\n")[1].split("\n\n", 1)[1].split("\n\n## Limits")[0].splitlines()
    for name in PLOT_FILES.values():
        assert f"]({name})" in card
        data = (DEFAULT_MODEL_DIR / name).read_bytes()
        assert data.startswith(PNG) and len(data) < 100_000
