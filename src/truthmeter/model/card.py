"""The model card, generated from the model's own saved config and metrics (never written by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from truthmeter.model.classifier import TruthModel

__all__ = ["render_card", "write_card"]

_TERMS = """GossipCop data from FakeNewsNet (Shu et al.), as redistributed by ARG (Hu et al., AAAI 2024):
research use only. The upstream authors state the complete dataset cannot be redistributed, so it is
not shipped; this model's weights are derived from it and carry the same research-use terms."""


def _metric_rows(metrics: dict[str, dict[str, float]]) -> list[str]:
    keys = ["n", "macro_f1", "accuracy", "auc", "ece", "f1_real", "f1_fake", "threshold"]
    rows = ["| split | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for split, m in metrics.items():
        rows.append(f"| {split} | " + " | ".join(str(m.get(k, "")) for k in keys) + " |")
    return rows


def render_card(model: TruthModel, data: Sequence[str], val: Sequence[str], command: str) -> str:
    meta = model.meta
    lines = [
        f"# Model card: {model.name}", "",
        "Rates how likely a celebrity/entertainment news article tells a true story. Output: calibrated",
        "P(true), a 0-10 truth rating, a verdict and the signals behind it.", "",
        "## Model",
        f"- Feature families (registry names): {', '.join(f.name for f in model.families)}",
        f"- Logistic regression, C={model.C}; isotonic calibration on {meta.get('folds')}-fold out-of-fold scores",
        f"- Decision threshold on P(true): {model.threshold} (chosen on {meta.get('threshold_chosen_on')})",
        f"- Each article is cut to its first {meta.get('window_tokens', 160)} tokens, as ARG's texts are.", "",
        "## Data", *[f"- train: `{d}`" for d in data], *[f"- val: `{v}`" for v in val],
        f"- {meta.get('n_train')} training articles; {meta.get('n_excluded_fact_checks')} fact-check pages left out "
        "(pages naming a fact-checker are its debunks, not rumours: the GossipCop trap)", "",
        "## Terms", _TERMS, "",
        "## Metrics", *_metric_rows(meta.get("metrics", {})), "",
        "ECE: expected calibration error of P(true), 10 equal-width bins. Threshold-dependent scores use the",
        "threshold above; AUC and ECE do not.", "",
        "## Limits",
        "- Text only, English, celebrity news 2000-2018: judges how a story is told, not whether it happened.",
        "- Learns outlet and celebrity priors from its data; a true story about a rumour-prone subject can rate low.",
        "- A fact-check's own published rating overrides the model (see the README).", "",
        "## Reproduce", f"    {command}", "",
    ]
    return "\n".join(lines)


def write_card(model: TruthModel, out: str | Path, data: Sequence[str], val: Sequence[str], command: str) -> Path:
    path = Path(out) / "MODEL_CARD.md"
    path.write_text(render_card(model, data, val, command))
    return path
