"""Audit commands."""

from __future__ import annotations

import click

from evidence.cli.base import cli, runtime_of
from evidence.services.audit import verify_audit_trail


@cli.group()
def audit() -> None:
    """Check the audit trail."""


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
