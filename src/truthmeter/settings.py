"""Every setting declared once, with its default, environment variable and help text."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Setting", "SETTINGS", "get", "default_db_path"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def env(self) -> str:
        return "TRUTHMETER_" + self.name.upper()

    def value(self) -> object:
        raw = os.environ.get(self.env)
        if raw is None or raw == "":
            return self.default
        return type(self.default)(raw) if self.default is not None else raw


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("db", None, "Database: a SQLite file path or a postgresql:// URL (default: a per-user SQLite file)."),
    Setting("model", None, "Model directory to rate with (default: the model shipped in the package)."),
    Setting("max_file_bytes", 20_000_000, "Files larger than this are rejected, not read."),
    Setting("fetch_timeout", 10.0, "Seconds before a URL fetch gives up."),
    Setting("fetch_max_bytes", 5_000_000, "Largest response body a URL fetch accepts."),
    Setting("batch_size", 512, "Articles rated and stored per batch."),
    Setting("pure_python", "", "1: compute features without the compiled part (features/_fastgrams.c); "
                               "the same results, ~3x the CPU."),
)}


def get(name: str) -> object:
    return SETTINGS[name].value()


def default_db_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("truthmeter")) / "truthmeter.db"
