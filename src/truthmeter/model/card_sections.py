"""Sections of the model card built from what `train` measured and stored in the model's meta:
the data splits, intervals, confusion matrix, verdicts by class, the stock baseline, results by text
length, the Unrated rule and what the model leans on. Each returns markdown lines."""

from __future__ import annotations

from typing import Mapping

from truthmeter.model.tried import DASH

__all__ = ["split_lines", "interval_lines", "confusion_lines", "verdict_lines", "baseline_lines", "length_lines",
           "unrated_lines", "leans_on_lines"]

Meta = Mapping[str, object]


def _get(meta: Meta, *keys: str) -> object:
    value: object = meta
    for k in keys:
        value = value.get(k) if isinstance(value, Mapping) else None
    return value


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    cell = lambda v: DASH if v is None else str(v)  # noqa: E731
    return ["| " + " | ".join(head) + " |", "|---" * len(head) + "|",
            *("| " + " | ".join(cell(v) for v in r) + " |" for r in rows)]


def split_lines(meta: Meta) -> list[str]:
    splits = _get(meta, "splits")
    if not isinstance(splits, Mapping) or not splits:
        return ["Not recorded."]
    rows = [[name, s.get("n"), s.get("fake_share"), s.get("first_date"), s.get("last_date")]
            for name, s in splits.items() if isinstance(s, Mapping)]
    lines = _table(["split", "articles", "fake share", "first date", "last date"], rows)
    if meta.get("n_augment"):
        lines += ["", f"Plus {meta['n_augment']} ChatGPT versions of training fakes, used for the weights only "
                      "(never for calibration, the threshold or metrics)."]
    return lines


def interval_lines(meta: Meta) -> list[str]:
    iv = _get(meta, "val_report", "intervals")
    if not isinstance(iv, Mapping):
        return []
    rows = [[k, v.get("value"), f"[{v.get('lo')}, {v.get('hi')}]"] for k, v in iv.items() if isinstance(v, Mapping)]
    return ["Val with bootstrap 95% intervals (1,000 resamples of articles, stratified by class):", "",
            *_table(["metric", "value", "95% interval"], rows)]


def confusion_lines(meta: Meta) -> list[str]:
    c = _get(meta, "val_report", "confusion")
    if not isinstance(c, Mapping):
        return ["Not recorded."]
    return ["Val at the model's threshold (rows: the truth; columns: the model's label):", "",
            *_table(["", "labelled real", "labelled fake"],
                    [["real stories", c.get("real_as_real"), c.get("real_as_fake")],
                     ["fake stories", c.get("fake_as_real"), c.get("fake_as_fake")]])]


def verdict_lines(meta: Meta) -> list[str]:
    v = _get(meta, "val_report", "verdicts")
    if not isinstance(v, Mapping) or not v:
        return ["Not recorded."]
    names = list(next(iter(v.values())).keys())
    rows = []
    for cls, counts in v.items():
        total = sum(counts.values()) or 1
        rows.append([f"{cls} stories", *(f"{counts[n]} ({100 * counts[n] / total:.0f}%)" for n in names)])
    return ["The verdict a reader sees for val articles, by their true class (the shown rating: True and False need",
            "evidence in the text, too little text is Unrated; the model's own probabilities cross-fitted):", "",
            *_table(["", *names], rows)]


def baseline_lines(meta: Meta) -> list[str]:
    base = _get(meta, "baseline", "rows")
    if not isinstance(base, list) or not base:
        return ["Not measured (`truthmeter train --baseline bench/out/baseline_gap.json`)."]
    rows = [[r.get("set"), r.get("model"), r.get("n"), *(_ci(r.get(k)) for k in ("auc", "macro_f1", "ece"))]
            for r in base if isinstance(r, Mapping)]
    lines = ["`python bench/baseline_gap.py`: the candidate recipe against the stock scikit-learn pipeline (word 1-2",
             "+ char_wb 2-5 TF-IDF, logistic regression C=1, balanced), trained in the same run on the same rows;",
             "(a) is where choices are made, (b) val is scored once, (c) LLMFake stories held out by news id.", "",
             *_table(["set", "model", "n", "AUC [95%]", "macro-F1 [95%]", "ECE [95%]"], rows)]
    diffs = _get(meta, "baseline", "auc_difference")
    if isinstance(diffs, Mapping) and diffs:
        verdict = lambda d: ("model ahead" if d.get("lo", 0) > 0 else  # noqa: E731
                             "stock ahead" if d.get("hi", 0) < 0 else "inside noise")
        lines += ["", "AUC of the model minus the stock pipeline's, paired bootstrap 95% interval (both scored on",
                  "each resample):", "",
                  *_table(["set", "difference [95%]", "reading"],
                          [[n, _ci(d), verdict(d)] for n, d in diffs.items() if isinstance(d, Mapping)])]
    return lines


def _ci(v: object) -> str:
    if not isinstance(v, Mapping):
        return DASH
    return f"{v.get('value')} [{v.get('lo')}, {v.get('hi')}]"


def length_lines(meta: Meta) -> list[str]:
    rows = _get(meta, "val_report", "by_length")
    if not isinstance(rows, list) or not rows:
        return ["Not recorded."]
    return ["Val by the number of words the model reads:", "",
            *_table(["words", "articles", "fake share", "AUC"],
                    [[r.get("words"), r.get("n"), r.get("fake_share"), r.get("auc")] for r in rows])]


def unrated_lines(meta: Meta, min_words: int, cap: int, floor: int) -> list[str]:
    v = _get(meta, "val_report", "verdicts")
    unrated = sum(c.get("Unrated", 0) for c in v.values()) if isinstance(v, Mapping) else None
    total = sum(sum(c.values()) for c in v.values()) if isinstance(v, Mapping) else None
    rate = f"{unrated} of {total} val articles" if total else DASH
    return [f"- A text under {min_words} words is **Unrated**: no truth rating, the reason instead. Chosen by",
            "  `python bench/unrated_rule.py` (train's newest 20% cut to their first N words, rated by a model fitted",
            "  on the oldest 80%, which prints the figures): below that more than half of the fakes still read as",
            f"  True, and a True rating is barely above the base rate of real stories. Unrated on val: {rate}.",
            f"- From the text alone a rating above {cap} needs on-the-record evidence (a named quote, a representative,",
            f"  a confirmation) and one below {floor} needs anonymous-only sourcing or a denial; otherwise it stops at",
            f"  {cap} (Mostly true) or {floor} (Mostly false) and says why. A fact-check's rating is never capped.",
            "  The table above counts it: most true stories without such evidence in their first 160 words read",
            "  Mostly true. The cues barely separate real from fake on val, so the gate is a rule about what a",
            "  verdict may claim from the text alone, not a source of accuracy."]


def leans_on_lines(meta: Meta) -> list[str]:
    lean = _get(meta, "leans_on")
    if not isinstance(lean, Mapping):
        return ["Not recorded."]
    show = lambda k: ", ".join(  # noqa: E731
        f"`{n.split(':', 1)[-1]}` {w:+.3f}" for n, w in lean.get(k, [])) or DASH
    return ["Largest mean contributions per article (log-odds of true):", "",
            f"- towards true: {show('towards_true')}",
            f"- towards fake: {show('towards_fake')}", "",
            "Why these are dataset quirks, not evidence: GossipCop's fake and real items come from different",
            "outlets, so a linear text model learns each side's house style (bylines, photo credits, tabloid",
            "phrasing) and which celebrities the tabloids wrote about. Names work as a prior about a subject",
            "('stories about X in this data were often false'), and reasons present them that way; a true story",
            "about a rumour-prone celebrity can still rate low, which is why True and False need evidence."]
