from __future__ import annotations

import csv
import io
import json
import shutil
from typing import Callable, Iterable, TextIO

from truthmeter.types import RatedArticle

__all__ = ["Writer", "FORMATS", "writer_for", "out_of_ten", "shorten", "stream_encoding", "ID_CHARS"]

# One encoder kept: json.dumps(ensure_ascii=False) builds one per call; the text is the same.
_encode = json.JSONEncoder(ensure_ascii=False).encode

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


def stream_encoding(out: TextIO) -> tuple[str, str]:
    """The encoding and error handler a text stream writes with (UTF-8, strict where it does not say)."""
    return getattr(out, "encoding", None) or "utf-8", getattr(out, "errors", None) or "strict"


def out_of_ten(rating: int | None, width: int = 0) -> str:
    """'7/10' with the number right-aligned in `width`; '-' in its place where there is no rating
    (Unrated), padded where '/10' would be so table columns stay aligned."""
    if rating is None:
        return f"{'-':>{width}}" + ("   " if width else "")
    return f"{rating:>{width}}/10"


class Writer:
    """Streams rated articles to a text stream; `close` finishes the document (e.g. the JSON array).

    `render` gives the text that `write` would write for some articles, so another process (a rating
    worker) can serialise them, and `write_rendered` writes that text, encoded, in their place."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, item: RatedArticle) -> None:
        self.write_text(self.render([item]))

    def render(self, items: Iterable[RatedArticle]) -> str:
        raise NotImplementedError

    def write_text(self, text: str) -> None:
        self.out.write(text)

    def write_rendered(self, data: bytes) -> None:
        """`render`'s text encoded as the output stream encodes it (`stream_encoding`): written as bytes
        where the stream has a binary buffer underneath, so it is never decoded again."""
        buffer = getattr(self.out, "buffer", None)
        if buffer is None or self._opens_rendered():
            self.write_text(data.decode(*stream_encoding(self.out)))
            return
        self.out.flush()
        buffer.write(data)

    def _opens_rendered(self) -> bool:
        return False

    def close(self) -> None:
        self.out.flush()


class JsonLines(Writer):
    def render(self, items: Iterable[RatedArticle]) -> str:
        return "".join([_encode(item.to_dict()) + "\n" for item in items])


class JsonArray(Writer):
    """Rendered text starts each element with ",\n"; the array's first element opens it with "[\n"."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.first = True

    def render(self, items: Iterable[RatedArticle]) -> str:
        return "".join([",\n" + json.dumps(item.to_dict(), ensure_ascii=False, indent=2) for item in items])

    def write_text(self, text: str) -> None:
        if text and self.first:
            text, self.first = "[" + text[1:], False
        self.out.write(text)

    def _opens_rendered(self) -> bool:
        return self.first  # its first separator changes: as text

    def close(self) -> None:
        self.out.write("[]\n" if self.first else "\n]\n")
        super().close()


class Csv(Writer):
    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.csv = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
        self.csv.writeheader()

    def render(self, items: Iterable[RatedArticle]) -> str:
        text = io.StringIO()
        rows = csv.DictWriter(text, fieldnames=CSV_FIELDS, extrasaction="ignore")
        for item in items:
            row = item.to_dict()
            signals: list[dict] = row["signals"]  # type: ignore[assignment]
            row["signals"] = "; ".join(f"{s['name']} ({s['weight']:+.2f})" for s in signals)
            rows.writerow(row)
        return text.getvalue()


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

    def render(self, items: Iterable[RatedArticle]) -> str:
        return "".join([self._row(item) for item in items])

    def _row(self, item: RatedArticle) -> str:
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
        return f"{handle}{title:<{self.title_w}}  {outlet:<18}  {rating}  {r.verdict.value + fc:<25}  {story}\n"


FORMATS: dict[str, Callable[[TextIO], Writer]] = {"table": Table, "json": JsonArray, "jsonl": JsonLines, "csv": Csv}


def writer_for(fmt: str, out: TextIO, *, ids: bool = False) -> Writer:
    """A writer of `fmt` onto `out`; `ids`: the table starts with each stored article's ID (`show` takes it)."""
    return Table(out, ids=ids) if fmt == "table" else FORMATS[fmt](out)
