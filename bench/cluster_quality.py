"""Story clustering quality on LLMFake: B-cubed precision, recall and F1.

Each fake story comes in four versions (the human-written original and ChatGPT's paraphrase,
rewrite and open-ended versions), each real story once; all are mixed, shuffled and clustered online,
and the versions of one news_id count as one story.

Honest tuning: news_ids are split in two halves by a hash of the id. The threshold and people
weight are chosen on the tuning half alone (best B-cubed F1 over a small grid); the figures that
count are those on the held-out half, clustered on its own, and on everything with those settings.

    python bench/cluster_quality.py [--data ../shared/data/llmfake_gossipcop] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from truthmeter import Article, read
from truthmeter.stories import Entry, StoryClusterer, entry_for, similarity

KINDS = ("paraphrase", "rewrite", "open_ended")
THRESHOLDS = [round(0.15 + 0.0125 * i, 4) for i in range(17)]  # 0.15 .. 0.35
PEOPLE_WEIGHTS = [0.0, 0.1, 0.2]


def load(folder: Path) -> list[tuple[str, Article]]:
    """(news_id, article) for every original and every ChatGPT version of a fake."""
    items: list[tuple[str, Article]] = []
    for a in read(folder / f"gossipcop_{KINDS[0]}_gpt35.csv"):
        if isinstance(a, Article):
            items.append((a.id, a))
    for kind in KINDS:
        path = folder / f"gossipcop_{kind}_gpt35.csv"
        for a in read(path, text_field="synthetic_misinformation"):
            if isinstance(a, Article) and a.label == 1:  # a real row's version is a copy of it
                items.append((a.id, a))
    return items


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    by_pred, by_gold = defaultdict(set), defaultdict(set)
    for k in pred:
        by_pred[pred[k]].add(k)
        by_gold[gold[k]].add(k)
    p = r = 0.0
    for k in pred:
        both = len(by_pred[pred[k]] & by_gold[gold[k]])
        p += both / len(by_pred[pred[k]])
        r += both / len(by_gold[gold[k]])
    p, r = p / len(pred), r / len(pred)
    return p, r, 2 * p * r / (p + r)


def cluster(entries: list[Entry], **params: float) -> dict[str, str]:
    clusterer = StoryClusterer(**params)  # type: ignore[arg-type]
    return {e.key: clusterer.add(e)[0].story_id for e in entries}


def tune(entries: list[Entry], gold: dict[str, str]) -> tuple[dict[str, float], float]:
    best: tuple[float, dict[str, float]] = (-1.0, {})
    for t, w in itertools.product(THRESHOLDS, PEOPLE_WEIGHTS):
        f1 = bcubed(cluster(entries, threshold=t, people_weight=w), gold)[2]
        if f1 > best[0]:
            best = (f1, {"threshold": t, "people_weight": w})
    return best[1], best[0]


def show_people_pairs(entries: list[Entry], pred: dict[str, str], gold: dict[str, str],
                      titles: dict[str, str], weight: float, n: int = 8) -> None:
    """Different stories sharing a person: the closest ones kept apart, and any merged."""
    by_person = defaultdict(list)
    for e in entries:
        for p in e.people:
            by_person[p].append(e)
    seen, kept, merged = set(), [], []
    for person, group in by_person.items():
        for a, b in itertools.combinations(group, 2):
            pair = tuple(sorted((gold[a.key], gold[b.key])))
            if pair[0] == pair[1] or pair in seen:
                continue
            seen.add(pair)
            row = (similarity(a, b, people_weight=weight), person, a.key, b.key)
            (merged if pred[a.key] == pred[b.key] else kept).append(row)
    print(f"\nstory pairs sharing a person: {len(seen)}; kept apart {len(kept)}, merged {len(merged)}")
    print("closest pairs kept apart (score, shared person, titles):")
    for s, person, a, b in sorted(kept, reverse=True)[:n]:
        print(f"  {s:.3f}  {person:22}  {titles[a][:48]!r}  |  {titles[b][:48]!r}")
    print("merged pairs of different news_ids sharing a person:")
    for s, person, a, b in sorted(merged, reverse=True)[:2 * n]:
        print(f"  {s:.3f}  {person:22}  {a.split('#')[0]} {titles[a][:40]!r}  |  {b.split('#')[0]} {titles[b][:40]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/llmfake_gossipcop"))
    ap.add_argument("--seed", type=int, default=0, help="shuffle seed: the arrival order")
    args = ap.parse_args()
    folder = Path(args.data)
    if not folder.exists():
        print(f"no data at {folder}", file=sys.stderr)
        return 1
    items = load(folder)
    random.Random(args.seed).shuffle(items)
    t0 = time.perf_counter()
    entries = [entry_for(f"{nid}#{i}", a) for i, (nid, a) in enumerate(items)]
    t_entries = time.perf_counter() - t0
    gold = {e.key: e.key.split("#")[0] for e in entries}
    titles = {e.key: a.title for e, (_, a) in zip(entries, items)}
    half = {nid: int(hashlib.sha256(nid.encode()).hexdigest(), 16) % 2 for nid in set(gold.values())}
    tune_set = [e for e in entries if half[gold[e.key]] == 0]
    held_out = [e for e in entries if half[gold[e.key]] == 1]
    print(f"{len(entries)} articles, {len(half)} stories ({sum(1 for v in gold.values() if False)}"
          f"{sum(len(g) > 1 for g in _groups(gold).values())} with several versions); "
          f"entries in {t_entries:.1f} s ({1000 * t_entries / len(entries):.2f} ms/article)")
    params, f1_tune = tune(tune_set, gold)
    print(f"tuned on half A ({len(tune_set)} articles): {params}, B-cubed F1 {f1_tune:.4f}")
    for name, part in (("half B, held out", held_out), ("all", entries)):
        t0 = time.perf_counter()
        pred = cluster(part, **params)
        dt = time.perf_counter() - t0
        p, r, f1 = bcubed(pred, gold)
        print(f"{name:17} {len(part):5} articles: B-cubed P {p:.4f}  R {r:.4f}  F1 {f1:.4f}  "
              f"({len(set(pred.values()))} clusters for {len(set(gold[k] for k in pred))} stories; {dt:.2f} s)")
    show_people_pairs(entries, cluster(entries, **params), gold, titles, params["people_weight"])
    return 0


def _groups(gold: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for k, g in gold.items():
        groups[g].append(k)
    return groups


if __name__ == "__main__":
    sys.exit(main())
