from __future__ import annotations

import csv
import json
import shutil
from typing import Callable, TextIO

from truthmeter.types import RatedArticle

__all__ = ["Writer", "FORMATS", "writer_for", "out_of_ten", "shorten", "ID_CHARS"]

CSV_FIELDS = ["id", "title", "outlet", "author", "date", "truth_rating", "p_true", "verdict", "label",
              "is_fact_check", "fact_check_rating", "dataset_label", "source", "signals", "story_id", "story_rating",
              "claim", "stance"]


# A stored article's handle in tables: the start of its content hash, which `show` takes (article ids can
# repeat across datasets; 12 hex digits do not in practice, and `show` refuses an ambiguous prefix).
ID_CHARS = 12


def shorten(text: str, width: int) -> str:
    """`text` cut to at most `width` characters at a word boundary, "…" marking the cut; whole when it fits.
    A single word longer than half the width is cut inside the word rather than dropped."""
    if len(text) <= width:
        return text
    head = text[: max(width - 1, 0)]
    space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if space >= width // 2 and not text[width - 1].isspace():
        head = head[:space]
    return head.rstrip() + "…"


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
    """Human-readable: title, outlet, rating, verdict; the title column takes the spare width. With
    `ids` (stored articles), an ID column first: what `show` takes."""

    def __init__(self, out: TextIO, *, ids: bool = False) -> None:
        super().__init__(out)
        width = shutil.get_terminal_size((100, 20)).columns
        self.ids = ids
        self.title_w = max(20, width - 44 - (ID_CHARS + 2 if ids else 0))
        head = f"{'ID':<{ID_CHARS}}  " if ids else ""
        out.write(f"{head}{'TITLE':<{self.title_w}}  {'OUTLET':<18}  {'RATING':>6}  {'VERDICT':<25}  STORY\n")

    def write(self, item: RatedArticle) -> None:
        a, r = item.article, item.rating
        title = shorten(" ".join((a.title or a.body[:200]).split()), self.title_w)
        outlet = shorten(a.outlet or "-", 18)
        fc = " (fact-check)" if r.is_fact_check else ""
        rating = out_of_ten(r.truth_rating, 4)
        # RATING and VERDICT are the text's own; STORY is the verdict on the claim of the story it is in.
        story = "-" if item.story is None else (
            f"{out_of_ten(item.story.story_rating)} {item.story.story_verdict.value}, {item.story.stance.value} "
            f"({item.story.story_id})")
        handle = f"{getattr(item, 'content_hash', '-')[:ID_CHARS]:<{ID_CHARS}}  " if self.ids else ""
        self.out.write(f"{handle}{title:<{self.title_w}}  {outlet:<18}  {rating}  {r.verdict.value + fc:<25}  "
                       f"{story}\n")


FORMATS: dict[str, Callable[[TextIO], Writer]] = {"table": Table, "json": JsonArray, "jsonl": JsonLines, "csv": Csv}


def writer_for(fmt: str, out: TextIO, *, ids: bool = False) -> Writer:
    """A writer of `fmt` onto `out`; `ids`: the table starts with each stored article's ID (`show` takes it)."""
    return Table(out, ids=ids) if fmt == "table" else FORMATS[fmt](out)
