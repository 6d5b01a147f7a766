"""Dossier commands: list, show, import, export."""

from __future__ import annotations

from pathlib import Path

import click

from evidence.cli.base import cli, runtime_of
from evidence.dossier_files import dump_dossier, load_dossier_file
from evidence.queries import list_dossiers, spc_statements_of
from evidence.reports.dossier_text import render_dossier_text
from evidence.services.dossier_export import export_dossier, get_dossier
from evidence.services.dossier_import import import_dossier


@cli.group()
def dossier() -> None:
    """List, show, import and export dossiers."""


@dossier.command("list")
@click.pass_context
def dossier_list(ctx: click.Context) -> None:
    """List the dossiers with their status and current decision.

    Example: evidence dossier list
    """
    with runtime_of(ctx).transaction() as session:
        summaries = list_dossiers(session)
    if not summaries:
        click.echo("no dossiers; load the reference dossiers with `evidence demo`")
    for s in summaries:
        decision = "no decision"
        if s.decided_on is not None:
            ci, action = (
                ("yes" if s.contraindication else "no"),
                ("yes" if s.action_needed else "no"),
            )
            decision = f"contra-indication {ci}, action {action} ({s.decided_on.isoformat()})"
        flagged = (
            f"\t{s.flagged_sources} retracted or withdrawn sources" if s.flagged_sources else ""
        )
        click.echo(f"{s.reference}\t{s.status}\t{s.title}\t{decision}{flagged}")


@dossier.command("show")
@click.argument("reference")
@click.pass_context
def dossier_show(ctx: click.Context, reference: str) -> None:
    """Show a whole dossier as text, in the order of the evidence document.

    Example: evidence dossier show 7097
    """
    with runtime_of(ctx).transaction() as session:
        found = get_dossier(session, reference=reference)
        text = render_dossier_text(found, spc_statements_of(session, found.substance))
    click.echo(text, nl=False)


@dossier.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def dossier_import(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Import dossier files (YAML or JSON); a bad file is refused whole.

    Example: evidence dossier import 7097.yaml
    """
    runtime = runtime_of(ctx)
    for path in files:
        document = load_dossier_file(path)
        with runtime.transaction() as session:
            imported = import_dossier(
                session, document=document, actor=runtime.actor, source=path.name
            )
            click.echo(f"imported {imported.reference}: {imported.title}")


@dossier.command("export")
@click.argument("reference")
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE.")
@click.pass_context
def dossier_export(ctx: click.Context, reference: str, fmt: str, output: Path | None) -> None:
    """Export one whole dossier as a dossier file (stdout unless -o is given).

    Example: evidence dossier export 7097 --format yaml -o 7097.yaml
    """
    with runtime_of(ctx).transaction() as session:
        text = dump_dossier(export_dossier(session, reference=reference), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
