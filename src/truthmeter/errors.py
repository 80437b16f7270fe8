"""One exception per failure mode. Each renders as one line naming where it happened."""

from __future__ import annotations

__all__ = ["TruthmeterError", "ParseError", "FetchError", "ModelError", "StoreError", "DataError", "EngineError"]


class TruthmeterError(Exception):
    """Base class: every error truthmeter raises on purpose."""


class ParseError(TruthmeterError):
    """An input item could not be read or parsed."""

    def __init__(self, path: str, line: int | None, why: str) -> None:
        self.path, self.line, self.why = path, line, why
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {why}")

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from its own fields: the default would call __init__ with the one message string,
        # and errors cross processes (the Dask engine's workers) with the items they belong to.
        return (ParseError, (self.path, self.line, self.why))


class FetchError(ParseError):
    """A URL could not be fetched (no network, timeout, too large, bad status)."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(url, None, why)

    def __reduce__(self) -> tuple[object, ...]:
        return (FetchError, (self.path, self.why))


class ModelError(TruthmeterError):
    """A model file is missing, corrupt, or from an unknown feature version."""


class StoreError(TruthmeterError):
    """The database could not be opened, migrated or written."""


class DataError(TruthmeterError):
    """Training or evaluation data is unusable (no labels, one class only, ...)."""


class EngineError(TruthmeterError):
    """An engine could not start, reach its cluster or write its output."""
