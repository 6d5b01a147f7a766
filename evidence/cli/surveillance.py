"""Living surveillance: evidence surveillance run | agenda."""

from __future__ import annotations

from datetime import date

import click

from evidence.cli.base import cli, fail, runtime_of
from evidence.services.surveillance import DueSearch, surveillance_agenda
from evidence.surveillance import run_surveillance


@cli.group()
def surveillance() -> None:
    """Re-run the searches that are due and list what is new for the committee."""


@surveillance.command("run")
@click.pass_context
def surveillance_run(ctx: click.Context) -> None:
    """Re-run (since their last run) the searches of every dossier that is due.

    A dossier is due when its last search is older than its re-search interval.

    Example: evidence surveillance run
    """

    def announce(search: DueSearch) -> None:
        since = f"since {search.last_run}" if search.last_run else "first run"
        click.echo(f"{search.dossier_reference}: search {search.strategy_name} ({since})")

    results = run_surveillance(runtime_of(ctx), on_search=announce)
    if not results:
        click.echo("no searches are due")
    for result in results:
        if result.summary is not None:
            click.echo(
                f"  run {result.summary.run_id}: {result.summary.outcome}, "
                f"{result.summary.new} new of {result.summary.count}"
            )
        else:
            click.echo(f"  failed: {result.error}")
    if any(result.error for result in results):
        fail("some searches failed; run again to resume them")


@surveillance.command("agenda")
@click.option("--dossier", "dossier_reference", metavar="REF", help="Only this dossier.")
@click.option("--limit", default=20, show_default=True, help="Citations per dossier.")
@click.pass_context
def surveillance_agenda_command(
    ctx: click.Context, dossier_reference: str | None, limit: int
) -> None:
    """Print the committee agenda: per dossier its new citations, likely case reports first.

    Example: evidence surveillance agenda --dossier 7097
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        agenda = surveillance_agenda(
            session, actor=runtime.actor, dossier_reference=dossier_reference
        )
    if not agenda:
        click.echo(f"nothing new to screen ({date.today().isoformat()})")
    for entry in agenda:
        click.echo(f"{entry.reference}: {entry.title} - {len(entry.items)} new")
        for item in entry.items[:limit]:
            reasons = "; ".join(item.reasons) or "-"
            click.echo(
                f"  [{item.score}] PMID {item.pmid or '-'} ({item.year or '-'}) "
                f"{item.title}\n      {reasons}"
            )
