"""Output shards: each partition's rated articles, written by the worker that rated them, as
`part-00000.jsonl` (the local engine's JSON Lines, so the shards concatenated in name order are its
output) or `part-00000.parquet` (one row per article with the same fields; signals and reasons lists of structs).
"""

from __future__ import annotations

import posixpath
from contextlib import contextmanager
from typing import Any, Iterator, Protocol

from truthmeter.errors import EngineError
from truthmeter.publish import writer_for
from truthmeter.types import RatedArticle

__all__ = ["OUT_FORMATS", "EngineError", "ShardWriter", "shard_url", "prepare_out", "open_shard", "parquet_schema"]

OUT_FORMATS = ("jsonl", "parquet")
_ROWS = 512  # Parquet rows buffered before a write: a row group's worth, memory stays flat


class ShardWriter(Protocol):
    def write(self, item: RatedArticle) -> None: ...


def shard_url(out: str, index: int, fmt: str) -> str:
    return posixpath.join(out, f"part-{index:05d}.{fmt}")


def prepare_out(out: str) -> str:
    """Create the output folder and return the URL workers write under. A folder already holding
    shards is refused: a shorter run would leave stale ones behind that read as results."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(out)
    if fs.exists(root) and not fs.isdir(root):
        raise EngineError(f"{out}: exists and is not a folder")
    if fs.isdir(root) and any(posixpath.basename(p.rstrip("/")).startswith("part-") for p in fs.ls(root, detail=False)):
        raise EngineError(f"{out}: already holds part-* shards; give an empty or new folder")
    fs.makedirs(root, exist_ok=True)
    return fs.unstrip_protocol(root)


def parquet_schema() -> Any:
    """The columns of RatedArticle.to_dict(), typed, so every shard has the same schema."""
    import pyarrow as pa

    s, i = pa.string(), pa.int64()
    signal = pa.struct([("name", s), ("weight", pa.float64()), ("text", s), ("start", i), ("end", i)])
    reason = pa.struct([("kind", s), ("label", s), ("weight", pa.float64()), ("examples", pa.list_(s)),
                        ("subject", s)])
    return pa.schema([("id", s), ("title", s), ("outlet", s), ("author", s), ("date", s), ("url", s),
                      ("source", s), ("truth_rating", i), ("p_true", pa.float64()), ("verdict", s), ("label", s),
                      ("is_fact_check", pa.bool_()), ("fact_check_rating", i), ("dataset_label", s), ("model", s),
                      ("signals", pa.list_(signal)), ("reasons", pa.list_(reason)),
                      # StoryContext.fields: null here, the dask engine never groups into stories
                      ("story_id", s), ("story_rating", i), ("story_verdict", s), ("claim", s), ("stance", s),
                      ("in_context", s)])


class _ParquetShard:
    def __init__(self, f: Any) -> None:
        import pyarrow.parquet as pq

        self.schema = parquet_schema()
        self.writer = pq.ParquetWriter(f, self.schema)
        self.rows: list[dict[str, object]] = []

    def write(self, item: RatedArticle) -> None:
        self.rows.append(item.to_dict())
        if len(self.rows) >= _ROWS:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def close(self) -> None:
        if self.rows:
            self.flush()
        self.writer.close()


@contextmanager
def open_shard(url: str, fmt: str) -> Iterator[ShardWriter]:
    """A writer for one shard; the file is complete when the block ends (rewritten whole on a retry)."""
    import fsspec

    if fmt == "jsonl":
        with fsspec.open(url, "wt", encoding="utf-8", newline="\n") as f:
            out = writer_for("jsonl", f)
            yield out
            out.close()
    else:
        with fsspec.open(url, "wb") as f:
            shard = _ParquetShard(f)
            yield shard
            shard.close()
