"""The Dask engine: the local engine's readers, parser and model, run on a Dask cluster.

The driver cuts the inputs into parts (engines.partitions) and submits them a few at a time; a worker
parses and rates a part with the model it was sent once (scattered to every worker as its saved
files, loaded once per worker process) and either hands the rated articles back or writes them as a
shard. The driver takes results in input order, waiting on the oldest part while later ones run: at
most `window` parts are in flight or waiting, so memory stays flat however long the input is.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from truthmeter import pipeline, settings
from truthmeter.engines.partitions import Part, part_articles, plan
from truthmeter.engines.shards import OUT_FORMATS, EngineError, open_shard, prepare_out, shard_url
from truthmeter.errors import ParseError
from truthmeter.model import TruthModel
from truthmeter.types import RatedArticle

__all__ = ["DaskEngine", "Shard", "ModelFiles", "worker_model", "DASK_MISSING"]

DASK_MISSING = "the dask engine needs dask[distributed]: pip install 'truthmeter[dask]'"
_MIN_BLOCK, _MAX_BLOCK = 64 * 1024, 512 * 1024


@dataclass(frozen=True)
class ModelFiles:
    """A model as its saved files, the form in which it travels: a model holds code objects (its
    feature families) that do not pickle, and its files reload it exactly, as `load_model` does."""

    digest: str
    files: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, model: TruthModel) -> "ModelFiles":
        with tempfile.TemporaryDirectory() as tmp:
            model.save(tmp)
            files = tuple((p.name, p.read_bytes()) for p in sorted(Path(tmp).iterdir()))
            # By content, not by bytes (the archive stamps its save time): a long-lived cluster
            # keeps one loaded copy of a model however many runs send it.
            digest = hashlib.sha256((Path(tmp) / "model.json").read_bytes())
            with np.load(Path(tmp) / "weights.npz") as weights:
                for key in sorted(weights.files):
                    digest.update(key.encode() + b"\0" + weights[key].tobytes())
        return cls(digest.hexdigest(), files)

    def load(self) -> TruthModel:
        with tempfile.TemporaryDirectory() as tmp:
            for name, data in self.files:
                (Path(tmp) / name).write_bytes(data)
            return TruthModel.load(tmp)


# Per worker process: each model is loaded once, the latest few are kept (a cluster outlives runs).
_MODELS: OrderedDict[str, TruthModel] = OrderedDict()
_MODELS_LOCK = threading.Lock()


def worker_model(files: ModelFiles) -> TruthModel:
    """On a worker: the model these files hold, loaded on first use."""
    with _MODELS_LOCK:
        if files.digest not in _MODELS:
            _MODELS[files.digest] = files.load()
            while len(_MODELS) > 2:
                _MODELS.popitem(last=False)
        return _MODELS[files.digest]


@dataclass(frozen=True)
class Shard:
    """One part's outcome with --out: the shard written (None when the part held only errors), the
    articles in it, and the part's errors in input order."""

    url: str | None
    rated: int
    errors: tuple[ParseError, ...]


def _rate_part(part: Part, files: ModelFiles, text_field: str | None, batch: int) -> list[object]:
    rated = pipeline.rate_stream(part_articles(part, text_field), worker_model(files), batch_size=batch)
    return list(rated)


def _write_part(part: Part, url: str, fmt: str, files: ModelFiles, text_field: str | None, batch: int
                ) -> tuple[str, int, tuple[object, ...]]:
    rated, errors = 0, []
    with open_shard(url, fmt) as shard:
        for x in pipeline.rate_stream(part_articles(part, text_field), worker_model(files), batch_size=batch):
            if isinstance(x, ParseError):
                errors.append(x)
            else:
                shard.write(x)
                rated += 1
    return url, rated, tuple(errors)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise EngineError(DASK_MISSING) from None
    return distributed


class DaskEngine:
    """Rating on Dask: the scheduler at `scheduler` (tcp://HOST:8786), else a LocalCluster of
    `workers` single-threaded processes. `blocksize`: input bytes per part (default: by file size);
    `connect_timeout`: seconds to reach the scheduler. Use as a context manager; `rate` and `write`
    may be called any number of times in between."""

    def __init__(self, scheduler: str | None = None, *, workers: int = 2, blocksize: int | None = None,
                 connect_timeout: float = 20) -> None:
        self.scheduler, self.workers, self.blocksize = scheduler, workers, blocksize
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> "DaskEngine":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        dd = _distributed()
        import dask  # present whenever distributed is

        try:
            if self.scheduler:
                self._client = dd.Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
            else:
                # Without a dashboard nobody reads the workers' statistical profiler, which samples
                # every thread each 10 ms and keeps an hour of history: some 35 MB per worker per
                # million articles rated (tracemalloc on the workers; docs/scale.md).
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    self._cluster = dd.LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                                    dashboard_address=None, silence_logs=logging.ERROR)
                self._client = dd.Client(self._cluster, set_as_default=False)
        except (OSError, TimeoutError) as e:
            self.close()
            raise EngineError(f"could not reach the Dask scheduler at {self.scheduler}: {e}") from None

    def close(self) -> None:
        for closable in (self._client, self._cluster):
            if closable is not None:
                closable.close()
        self._client = self._cluster = None

    @property
    def client(self) -> Any:
        if self._client is None:
            raise EngineError("the dask engine is not started (use it in a `with` block)")
        return self._client

    def threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def rate(self, paths: Iterable[str], model: TruthModel | None = None, *, text_field: str | None = None
             ) -> Iterator[RatedArticle | ParseError]:
        """Every article rated, and every bad item's error, in input order: `pipeline.rate_stream`
        over `pipeline.read`, item for item."""
        files, batch = self._model(model), int(settings.get("batch_size"))  # type: ignore[call-overload]

        def submit(part: Part, index: int) -> Any:
            return self.client.submit(_rate_part, part, files, text_field, batch, pure=False)

        for done in self._ordered(paths, text_field, submit):
            if isinstance(done, ParseError):
                yield done
            else:
                yield from done

    def write(self, paths: Iterable[str], out: str, model: TruthModel | None = None, *, fmt: str = "jsonl",
              text_field: str | None = None) -> Iterator[Shard]:
        """Rate into shards under `out` (a folder or fsspec URL) written by the workers, part-00000
        onwards in input order; yields each part's Shard in that order."""
        if fmt not in OUT_FORMATS:
            raise EngineError(f"unknown output format {fmt!r}: choose {' or '.join(OUT_FORMATS)}")
        target, files = prepare_out(out), self._model(model)
        batch = int(settings.get("batch_size"))  # type: ignore[call-overload]

        def submit(part: Part, index: int) -> Any:
            url = shard_url(target, index, fmt)
            return self.client.submit(_write_part, part, url, fmt, files, text_field, batch, pure=False)

        for done in self._ordered(paths, text_field, submit):
            if isinstance(done, ParseError):
                yield Shard(None, 0, (done,))
            else:
                url, rated, errors = done  # type: ignore[misc]
                yield Shard(url, rated, tuple(errors))

    def _model(self, model: TruthModel | None) -> Any:
        # Scattered to every worker now, so no task carries the model and each worker gets it once.
        return self.client.scatter(ModelFiles.of(model or pipeline.load_model()), broadcast=True, hash=False)

    def _blocksize(self, size: int) -> int:
        # About two parts per thread for a file alone, within limits that keep parts cheap to hold.
        return self.blocksize or min(_MAX_BLOCK, max(_MIN_BLOCK, size // (2 * self.threads())))

    def _ordered(self, paths: Iterable[str], text_field: str | None, submit: Callable[[Part, int], Any]
                 ) -> Iterator[object]:
        """Each part's result (or each planning error) in input order, with a bounded window in flight."""
        window, numbers = max(2, 2 * self.threads()), count()
        pending: deque[Any] = deque()
        parts = plan(paths, text_field=text_field, blocksize=self._blocksize,
                     batch=int(settings.get("batch_size")))  # type: ignore[call-overload]
        for part in parts:
            pending.append(part if isinstance(part, ParseError) else submit(part, next(numbers)))
            while pending and (isinstance(pending[0], ParseError) or len(pending) > window):
                yield self._take(pending.popleft())
        while pending:
            yield self._take(pending.popleft())

    def _take(self, pending: Any) -> object:
        if isinstance(pending, ParseError):
            return pending
        dd = _distributed()
        try:
            return pending.result()
        except dd.KilledWorker as e:
            raise EngineError(f"a Dask worker died on a part of the input, twice (out of memory?): {e}") from None
        finally:
            pending.release()
