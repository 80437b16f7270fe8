"""The "tried" record: experiments measured on validation data and not shipped, with their numbers.

Stored as `tried.json` beside the model: a JSON list of objects
`{"change", "dev_auc", "dev_macro_f1", "val_macro_f1", "val_auc", "val_ece", "verdict"}` (numbers may be
null where not measured; dev is the time-ordered development split of bench/baseline_gap.py, where
choices are made, val is scored once per candidate; an optional `"best_threshold": true` marks a
macro-F1 read at the best cut rather than the model's calibrated one). Rows written before the
protocol may carry `seed002_p_true`: read, never shown (the seeds never choose between models).
`truthmeter train --tried FILE` merges FILE into it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from truthmeter.errors import DataError

__all__ = ["TRIED_FILE", "TRIED_KEYS", "load_tried", "merge_tried", "tried_rows", "DASH"]

TRIED_FILE = "tried.json"
TRIED_KEYS = ("change", "dev_auc", "dev_macro_f1", "val_macro_f1", "val_auc", "val_ece", "verdict")
_NUMBERS = TRIED_KEYS[1:6]
_LEGACY = ("seed002_p_true",)
DASH = "–"  # what the card shows for "not measured"
_HEAD = ("change", "dev AUC", "dev macro-F1", "val macro-F1", "val AUC", "val ECE", "verdict")


def _check(row: object, where: str) -> dict[str, object]:
    if not isinstance(row, dict) or not isinstance(row.get("change"), str) or not row["change"].strip():
        raise DataError(f"{where}: each tried entry needs a non-empty \"change\" text")
    for key in _NUMBERS + _LEGACY:
        value = row.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise DataError(f"{where}: {row['change']!r}: {key} must be a number or null, not {value!r}")
    extra = set(row) - set(TRIED_KEYS) - set(_LEGACY) - {"best_threshold"}
    if extra:
        raise DataError(f"{where}: {row['change']!r}: unknown field(s) {', '.join(sorted(extra))}")
    return {k: row.get(k) for k in TRIED_KEYS} | ({"best_threshold": True} if row.get("best_threshold") else {})


def load_tried(path: str | Path) -> list[dict[str, object]]:
    """The checked rows of a tried file (a JSON list of objects); DataError when it is not one."""
    path = Path(path)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise DataError(f"{path}: not a readable tried JSON file ({e})") from None
    if not isinstance(rows, list):
        raise DataError(f"{path}: a tried file is a JSON list of objects")
    return [_check(row, str(path)) for row in rows]


def merge_tried(out: str | Path, extra: Sequence[str | Path] = ()) -> list[dict[str, object]]:
    """Rows of `out/tried.json` (when present) updated with each file in `extra`, matched on
    "change" (a later entry replaces an earlier one in place). Written back when anything was added."""
    target = Path(out) / TRIED_FILE
    merged: dict[str, dict[str, object]] = {}
    for source in ([target] if target.exists() else []) + [Path(p) for p in extra]:
        for row in load_tried(source):
            merged[str(row["change"])] = row
    rows = list(merged.values())
    if extra:
        target.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return rows


def _number(value: object) -> str:
    return DASH if value is None else str(value)


def tried_rows(rows: Sequence[dict[str, object]]) -> list[str]:
    """The markdown table of tried experiments (or a line saying none are recorded)."""
    if not rows:
        return ["No rejected experiments recorded (add them with `truthmeter train --tried FILE`)."]
    table = ["| " + " | ".join(_HEAD) + " |", "|---" * len(_HEAD) + "|"]
    for row in rows:
        f1 = _number(row.get("val_macro_f1")) + (" †" if row.get("best_threshold") else "")
        cells = [str(row["change"]), _number(row.get("dev_auc")), _number(row.get("dev_macro_f1")), f1,
                 _number(row.get("val_auc")), _number(row.get("val_ece")), str(row.get("verdict") or DASH)]
        table.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if any(row.get("best_threshold") for row in rows):
        table += ["", "† macro-F1 at the best threshold on val, as measured in that experiment."]
    return table
