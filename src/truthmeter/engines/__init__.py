"""Engines that rate large inputs elsewhere than in this process: `DaskEngine` on a Dask cluster
(a LocalCluster when no scheduler is given). They read, parse and rate exactly as the local engine
(`pipeline.read` + `pipeline.rate_stream`) and give the same results in the same order; dask, fsspec
and pyarrow are imported only when an engine starts (`pip install 'truthmeter[dask]'`)."""

from __future__ import annotations

from truthmeter.engines.dask_engine import DASK_MISSING, DaskEngine, ModelFiles, Shard
from truthmeter.engines.shards import OUT_FORMATS, EngineError
from truthmeter.engines.store import store_rated

__all__ = ["DaskEngine", "Shard", "ModelFiles", "EngineError", "store_rated", "OUT_FORMATS", "DASK_MISSING"]
