"""Bibliographic files: evidence import pubmed-xml | medline | ris, evidence export citations."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from evidence import citation_files
from evidence.cli.base import cli, runtime_of
from evidence.gc_pauses import shorter_gc_pauses
from evidence.parser_process import read_records
from evidence.queries import citation_export_rows
from evidence.runtime import Runtime
from evidence.services.citation_imports import import_citation_records
from evidence.wal_checkpoints import checkpoints_aside

NOTES_SHOWN = 5
FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


def _counter(path: Path) -> Callable[[int], None]:
    def show(done: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{path.name}: {done} records", nl=False, err=True)

    return show


def _import_files(ctx: click.Context, files: tuple[Path, ...], fmt: str) -> None:
    runtime = runtime_of(ctx)
    with shorter_gc_pauses(), checkpoints_aside(runtime.engine):
        for path in files:
            _import_file(runtime, path, fmt)


def _import_file(runtime: Runtime, path: Path, fmt: str) -> None:
    """One file in one transaction: a file with one bad record stores nothing."""
    with runtime.transaction(immediate=True) as session:
        report = import_citation_records(
            session,
            records=read_records(fmt, path),
            record_format=fmt,
            source=str(path),
            actor=runtime.actor,
            on_progress=_counter(path),
        )
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(
        f"{path}: {len(report.created)} new, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.withdrawn)} withdrawn by PubMed"
    )
    for note in report.notes[:NOTES_SHOWN]:
        click.echo(f"  note: {note}")
    if len(report.notes) > NOTES_SHOWN:
        click.echo(f"  ... and {len(report.notes) - NOTES_SHOWN} more notes like these")


@cli.group("import")
def import_group() -> None:
    """Import bibliographic records from files (same matching rules as harvests)."""


@import_group.command("pubmed-xml")
@FILES
@click.pass_context
def import_pubmed_xml(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Import PubMed XML (efetch output or baseline/update files; .gz and .xz too).

    Example: evidence import pubmed-xml pubmed25n0001.xml.gz
    """
    _import_files(ctx, files, "pubmed-xml")


@import_group.command("medline")
@FILES
@click.pass_context
def import_medline(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Import PubMed's MEDLINE text format (.txt, .nbib).

    Example: evidence import medline pubmed-export.nbib
    """
    _import_files(ctx, files, "medline")


@import_group.command("ris")
@FILES
@click.pass_context
def import_ris(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Import RIS exports of other databases (Embase, Zotero, EndNote).

    Records with a PMID are matched by it; the others by DOI, then by title, year
    and first author.

    Example: evidence import ris embase-export.ris
    """
    _import_files(ctx, files, "ris")


@cli.group("export")
def export_group() -> None:
    """Export data for other tools and for auditors."""


@export_group.command("citations")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "ris"]),
    default="jsonl",
    show_default=True,
)
@click.option("--dossier", "dossier_reference", metavar="REF", help="Only this dossier's sources.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of stdout.",
)
@click.pass_context
def export_citations(
    ctx: click.Context, fmt: str, dossier_reference: str | None, output: Path | None
) -> None:
    """Write every citation as JSON lines, CSV (opens in Excel) or RIS.

    Example: evidence export citations --format csv -o citations.csv
    """
    writers: dict[str, Callable[..., int]] = {
        "jsonl": citation_files.write_jsonl,
        "csv": citation_files.write_csv,
        "ris": citation_files.write_ris,
    }
    with runtime_of(ctx).transaction() as session:
        rows = citation_export_rows(session, dossier_reference=dossier_reference)
        if output is None:
            writers[fmt](rows, sys.stdout)
            return
        # The CSV and RIS writers set their own line ends (CRLF) and the CSV its BOM.
        with output.open("w", encoding="utf-8", newline="") as out:
            writers[fmt](rows, out)
    click.echo(f"wrote {output}", err=True)
