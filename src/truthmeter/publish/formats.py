from __future__ import annotations

import csv
import json
import shutil
from typing import Callable, TextIO

from truthmeter.types import RatedArticle

__all__ = ["Writer", "FORMATS", "writer_for", "out_of_ten"]

CSV_FIELDS = ["id", "title", "outlet", "author", "date", "truth_rating", "p_true", "verdict", "label",
              "is_fact_check", "fact_check_rating", "dataset_label", "source", "signals", "story_id", "story_rating",
              "claim", "stance"]


def out_of_ten(rating: int | None, width: int = 0) -> str:
    """'7/10' with the number right-aligned in `width`; '-' in its place where there is no rating
    (Unrated), padded where '/10' would be so table columns stay aligned."""
    if rating is None:
        return f"{'-':>{width}}" + ("   " if width else "")
    return f"{rating:>{width}}/10"


class Writer:
    """Streams rated articles to a text stream; `close` finishes the document (e.g. the JSON array)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, item: RatedArticle) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.out.flush()


class JsonLines(Writer):
    def write(self, item: RatedArticle) -> None:
        self.out.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")


class JsonArray(Writer):
    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.first = True

    def write(self, item: RatedArticle) -> None:
        self.out.write(("[\n" if self.first else ",\n") + json.dumps(item.to_dict(), ensure_ascii=False, indent=2))
        self.first = False

    def close(self) -> None:
        self.out.write("[]\n" if self.first else "\n]\n")
        super().close()


class Csv(Writer):
    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.csv = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
        self.csv.writeheader()

    def write(self, item: RatedArticle) -> None:
        row = item.to_dict()
        row["signals"] = "; ".join(f"{s['name']} ({s['weight']:+.2f})" for s in row["signals"])  # type: ignore[index]
        self.csv.writerow(row)


class Table(Writer):
    """Human-readable: title, outlet, rating, verdict; the title column takes the spare width."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        width = shutil.get_terminal_size((100, 20)).columns
        self.title_w = max(20, width - 44)
        out.write(f"{'TITLE':<{self.title_w}}  {'OUTLET':<18}  {'RATING':>6}  {'VERDICT':<25}  STORY\n")

    def write(self, item: RatedArticle) -> None:
        a, r = item.article, item.rating
        title = (a.title or a.body[:80]).replace("\n", " ")
        title = title if len(title) <= self.title_w else title[: self.title_w - 1] + "…"
        outlet = (a.outlet or "-")[:18]
        fc = " (fact-check)" if r.is_fact_check else ""
        rating = out_of_ten(r.truth_rating, 4)
        # RATING and VERDICT are the text's own; STORY is the verdict on the claim of the story it is in.
        story = "-" if item.story is None else (
            f"{out_of_ten(item.story.story_rating)} {item.story.story_verdict.value}, {item.story.stance.value} "
            f"({item.story.story_id})")
        self.out.write(f"{title:<{self.title_w}}  {outlet:<18}  {rating}  {r.verdict.value + fc:<25}  {story}\n")


FORMATS: dict[str, Callable[[TextIO], Writer]] = {"table": Table, "json": JsonArray, "jsonl": JsonLines, "csv": Csv}


def writer_for(fmt: str, out: TextIO) -> Writer:
    return FORMATS[fmt](out)
