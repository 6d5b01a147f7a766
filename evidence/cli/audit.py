"""Audit commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evidence.audit_export import write_audit
from evidence.cli.base import cli, runtime_of
from evidence.services.audit import verify_audit_trail
from evidence.services.audit_export import export_audit_events


@cli.group()
def audit() -> None:
    """Verify and export the audit trail."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Recompute the hash chain: "intact, N events", or the first broken event (exit 1).

    Example: evidence audit verify
    """
    with runtime_of(ctx).transaction() as session:
        report = verify_audit_trail(session)
    if report.intact:
        click.echo(f"intact, {report.events} events")
        return
    click.echo(f"broken at event {report.first_broken_id}: {report.problem}")
    ctx.exit(1)


@audit.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of stdout.",
)
@click.pass_context
def audit_export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Export the whole audit trail: who changed what, when, before and after.

    CSV opens in Excel (UTF-8 with BOM; before/after as JSON text).

    Example: evidence audit export --format csv -o audit.csv
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        rows = export_audit_events(session, actor=runtime.actor)
        if output is None:
            write_audit(rows, sys.stdout, fmt)
            return
        with output.open("w", encoding="utf-8", newline="") as out:
            write_audit(rows, out, fmt)
    click.echo(f"wrote {output}", err=True)
