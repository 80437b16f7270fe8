"""Options several commands share, declared once, and the one way an error reaches people."""

from __future__ import annotations

import os

import click

from truthmeter import settings
from truthmeter.errors import ParseError, TruthmeterError
from truthmeter.ingest.text import TEXT_FIELDS
from truthmeter.publish import FORMATS

__all__ = ["db_option", "model_option", "format_option", "workers_option", "text_field_option", "echo_error"]

db_option = click.option("--db", envvar="TRUTHMETER_DB", default=None, metavar="PATH|URL",
                         help="SQLite file or postgresql:// URL (env TRUTHMETER_DB; default: "
                              f"{settings.default_db_path()}).")
model_option = click.option("--model", "model_dir", envvar="TRUTHMETER_MODEL", default=None,
                            type=click.Path(file_okay=False),
                            help="Model directory (env TRUTHMETER_MODEL; default: the shipped model).")
format_option = click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True)
workers_option = click.option("--workers", default=min(2, os.cpu_count() or 1), show_default=True,
                              type=click.IntRange(min=1), help="Processes rating in parallel (large inputs).")
text_field_option = click.option("--text-field", default=None,
                                 help="Dataset column holding the text, e.g. synthetic_misinformation (default: the "
                                      f"first there of {', '.join(TEXT_FIELDS)}).")


def echo_error(e: ParseError | TruthmeterError) -> None:
    """`error: FILE[:LINE]: why`, one line on stderr."""
    click.echo(f"error: {e}", err=True)
