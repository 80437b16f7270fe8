"""Story clustering quality on LLMFake: B-cubed precision, recall and F1.

Each fake story comes in four versions (the human-written original and ChatGPT's paraphrase,
rewrite and open-ended versions), each real story once; all are mixed, shuffled and clustered online,
and the versions of one news_id count as one story.

Online clustering depends on arrival order, so every figure is the mean over `--orders` shuffles
(min and max in brackets). Honest tuning: news_ids are split in two halves by a hash of the id;
the threshold and people weight are chosen on half A alone (best mean B-cubed F1 over a grid); the
figures that count are those on half B, clustered on its own, and on everything, with those settings.

A second gold standard is printed too: a few news_ids carry the very same human-written text (one
story crawled from two URLs); with those ids merged into one story, no clusterer is penalised for
putting identical texts together.

    python bench/cluster_quality.py [--data ../shared/data/llmfake_gossipcop] [--orders 3]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from truthmeter import Article, read
from truthmeter.stories import Entry, StoryClusterer, entry_for

KINDS = ("paraphrase", "rewrite", "open_ended")
THRESHOLDS = [round(0.175 + 0.0125 * i, 4) for i in range(11)]  # 0.175 .. 0.3
PEOPLE_WEIGHTS = [0.0, 0.05, 0.1, 0.15, 0.2]


def load(folder: Path) -> list[tuple[str, str, Article]]:
    """(news_id, version, article) for every original and every ChatGPT version of a fake."""
    items = [(a.id, "original", a) for a in read(folder / f"gossipcop_{KINDS[0]}_gpt35.csv")
             if isinstance(a, Article)]
    for kind in KINDS:
        for a in read(folder / f"gossipcop_{kind}_gpt35.csv", text_field="synthetic_misinformation"):
            if isinstance(a, Article) and a.label == 1:  # a real row's version is a copy of it
                items.append((a.id, kind, a))
    return items


def same_text_ids(items: list[tuple[str, str, Article]]) -> dict[str, str]:
    """news_id -> the first news_id whose original has exactly the same words."""
    first: dict[str, str] = {}
    return {nid: first.setdefault(" ".join(re.findall(r"\w+", a.text.lower())), nid)
            for nid, kind, a in items if kind == "original"}


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


def run(entries: list[Entry], **params: float) -> tuple[dict[str, str], StoryClusterer]:
    clusterer = StoryClusterer(**params)  # type: ignore[arg-type]
    return {e.key: clusterer.add(e)[0].story_id for e in entries}, clusterer


def shuffled(entries: list[Entry], orders: int) -> list[list[Entry]]:
    out = []
    for seed in range(orders):
        order = list(entries)
        random.Random(seed).shuffle(order)
        out.append(order)
    return out


def scores(orders: list[list[Entry]], gold: dict[str, str], **params: float) -> list[tuple[float, float, float]]:
    return [bcubed(run(order, **params)[0], gold) for order in orders]


def tune(orders: list[list[Entry]], gold: dict[str, str]) -> tuple[dict[str, float], float]:
    best: tuple[float, dict[str, float]] = (-1.0, {})
    for t, w in itertools.product(THRESHOLDS, PEOPLE_WEIGHTS):
        f1 = sum(f for _, _, f in scores(orders, gold, threshold=t, people_weight=w)) / len(orders)
        if f1 > best[0]:
            best = (f1, {"threshold": t, "people_weight": w})
    return best[1], best[0]


def summary(rows: list[tuple[float, float, float]]) -> str:
    cols = list(zip(*rows))
    return "  ".join(f"{name} {sum(c) / len(c):.4f} [{min(c):.3f}-{max(c):.3f}]" for name, c in zip("PRF", cols))


def show_people_pairs(entries: list[Entry], pred: dict[str, str], clusterer: StoryClusterer,
                      gold: dict[str, str], dup: dict[str, str], titles: dict[str, str], n: int = 8) -> None:
    """Different stories sharing a person: the closest ones kept apart, and those merged."""
    by_person: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        for p in e.people:
            by_person[p].append(e)
    seen: set[tuple[str, ...]] = set()
    kept: list[tuple[float, str, str, str]] = []
    merged: list[tuple[float, str, str, str]] = []
    for person, group in by_person.items():
        for a, b in itertools.combinations(group, 2):
            pair = tuple(sorted((gold[a.key], gold[b.key])))
            if pair[0] == pair[1] or pair in seen:
                continue
            seen.add(pair)
            row = (clusterer.similarity(a, b), person, a.key, b.key)
            (merged if pred[a.key] == pred[b.key] else kept).append(row)
    print(f"\nstory pairs sharing a person: {len(seen)}; kept apart {len(kept)}, merged {len(merged)} "
          f"(of which {sum(dup[gold[x]] == dup[gold[y]] for _, _, x, y in merged)} are one text under two ids)")
    print("closest pairs kept apart (score, shared person, first words of each):")
    for s, person, x, y in sorted(kept, reverse=True)[:n]:
        print(f"  {s:.3f}  {person:20}  {titles[x][:46]!r}  |  {titles[y][:46]!r}")
    print("merged pairs of different news_ids sharing a person (dup = same original text):")
    for s, person, x, y in sorted(merged, reverse=True)[:2 * n]:
        tag = "dup" if dup[gold[x]] == dup[gold[y]] else "   "
        print(f"  {s:.3f} {tag} {person:20}  {titles[x][:40]!r}  |  {titles[y][:40]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/llmfake_gossipcop"))
    ap.add_argument("--orders", type=int, default=3, help="arrival orders (shuffle seeds 0..N-1)")
    args = ap.parse_args()
    folder = Path(args.data)
    if not folder.exists():
        print(f"no data at {folder}", file=sys.stderr)
        return 1
    items = load(folder)
    dup = same_text_ids(items)
    t0 = time.perf_counter()
    entries = [entry_for(f"{nid}#{kind}", a) for nid, kind, a in items]
    t_entries = time.perf_counter() - t0
    gold = {e.key: e.key.split("#")[0] for e in entries}
    gold_dup = {k: dup[g] for k, g in gold.items()}
    titles = {e.key: " ".join(a.text.split()) for e, (_, _, a) in zip(entries, items)}
    half = {nid: int(hashlib.sha256(nid.encode()).hexdigest(), 16) % 2 for nid in set(gold.values())}
    part_a = [e for e in entries if half[gold[e.key]] == 0]
    part_b = [e for e in entries if half[gold[e.key]] == 1]
    print(f"{len(entries)} articles, {len(half)} stories ({sum(k == 'original' for _, k, _ in items)} originals, "
          f"{len(entries) - len(half)} ChatGPT versions; {len(half) - len(set(dup.values()))} ids repeat "
          f"another's text); entries {1000 * t_entries / len(entries):.2f} ms/article; {args.orders} arrival orders")
    params, f1_a = tune(shuffled(part_a, args.orders), gold)
    print(f"tuned on half A ({len(part_a)} articles): {params}, mean B-cubed F1 {f1_a:.4f}")
    for name, part in (("half B, held out", part_b), ("all", entries)):
        orders = shuffled(part, args.orders)
        t0 = time.perf_counter()
        print(f"{name:17} {len(part):5} articles: {summary(scores(orders, gold, **params))}  "
              f"({(time.perf_counter() - t0) / args.orders:.2f} s per run)")
        print(f"{'same-text ids as one story':>29}: {summary(scores(orders, gold_dup, **params))}")
    order = shuffled(entries, 1)[0]
    show_people_pairs(order, *run(order, **params), gold, dup, titles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
