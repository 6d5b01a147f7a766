"""Search commands: create and revise strategies, run them, read their history."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from evidence.cli.base import cli, runtime_of
from evidence.harvester import Harvester
from evidence.models import SearchRun, SearchStrategy
from evidence.pubmed.retrieval import BATCH_SIZE
from evidence.services.search_runs import get_search_run, run_hits, strategy_runs
from evidence.services.search_strategies import (
    StrategyDraft,
    create_search_strategy,
    draft_of,
    get_search_strategy,
    revise_search_strategy,
    strategy_query,
)

TEXT_CHOICES = click.Choice(["abstract", "full_text", "free_full_text"])


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The structured filters shared by ``search create`` and ``search revise``."""
    options = [
        click.option(
            "--mesh-terms",
            "mesh_terms_only",
            is_flag=True,
            default=None,
            help="Search the terms as MeSH terms.",
        ),
        click.option(
            "--publication-type",
            "publication_types",
            multiple=True,
            help='e.g. "Clinical Trial" (repeatable).',
        ),
        click.option("--species", multiple=True, help="e.g. Humans (repeatable)."),
        click.option("--language", "languages", multiple=True, help="e.g. English (repeatable)."),
        click.option(
            "--text",
            "text_availability",
            type=TEXT_CHOICES,
            help="Only records with an abstract, full text or free full text.",
        ),
        click.option(
            "--from",
            "date_from",
            type=click.DateTime(["%Y-%m-%d"]),
            help="Publication date from (YYYY-MM-DD).",
        ),
        click.option(
            "--to",
            "date_to",
            type=click.DateTime(["%Y-%m-%d"]),
            help="Publication date to (YYYY-MM-DD).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _date(value: Any) -> date | None:
    return value.date() if value is not None else None


def _describe(strategy: SearchStrategy) -> str:
    heading = f"strategy {strategy.id}: {strategy.name} v{strategy.version}"
    return f"{heading}\nquery: {strategy_query(strategy)}"


@cli.group()
def search() -> None:
    """Build and run PubMed searches (strategies and their runs)."""


@search.command("create")
@click.option("--name", required=True, help="A name, unique within the dossier.")
@click.option("--term", required=True, help="PubMed search terms.")
@click.option("--dossier", "dossier_reference", metavar="REF", help="The dossier it serves.")
@filter_options
@click.pass_context
def search_create(
    ctx: click.Context, /, name: str, term: str, dossier_reference: str | None, **filters: Any
) -> None:
    """Create a search strategy; its id is the last line printed.

    Example: evidence search create --name vte --term "immunoglobulins AND venous
    thromboembolism" --publication-type Review --species Humans --language English
    """
    draft = StrategyDraft(
        name=name,
        terms=term,
        mesh_terms_only=bool(filters["mesh_terms_only"]),
        publication_types=filters["publication_types"],
        species=filters["species"],
        languages=filters["languages"],
        text_availability=filters["text_availability"],
        date_from=_date(filters["date_from"]),
        date_to=_date(filters["date_to"]),
    )
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        strategy = create_search_strategy(
            session, draft=draft, actor=runtime.actor, dossier_reference=dossier_reference
        )
        click.echo(_describe(strategy))
        click.echo(strategy.id)


@search.command("revise")
@click.argument("strategy_id", type=int)
@click.option("--term", help="New search terms (default: unchanged).")
@filter_options
@click.pass_context
def search_revise(
    ctx: click.Context, /, strategy_id: int, term: str | None, **filters: Any
) -> None:
    """Make a new version of a strategy; options not given keep their value.

    Runs keep pointing at the version they used. The new id is the last line printed.

    Example: evidence search revise 3 --language English --language Dutch
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        current = draft_of(get_search_strategy(session, strategy_id=strategy_id))
        changes = {key: value for key, value in filters.items() if value not in (None, ())}
        for key in ("date_from", "date_to"):
            if key in changes:
                changes[key] = _date(changes[key])
        draft = StrategyDraft(**{**current.__dict__, **changes, "terms": term or current.terms})
        revised = revise_search_strategy(
            session, strategy_id=strategy_id, draft=draft, actor=runtime.actor
        )
        click.echo(_describe(revised))
        click.echo(revised.id)


class _ProgressBar:
    """Records fetched of total, with rate and ETA, on stderr."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.started = time.monotonic()
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            show_rate: Any = self._rate_text
            self.bar = click.progressbar(
                length=max(total, 1),
                label="fetching records",
                show_pos=True,
                show_eta=True,
                item_show_func=show_rate,
                file=sys.stderr,
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown, done)
        self.shown = done

    def _rate_text(self, _item: object) -> str:
        return f"{self.rate():.0f} records/s"

    def rate(self) -> float:
        return self.shown / max(time.monotonic() - self.started, 1e-6)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@search.command("run")
@click.argument("strategy_id", type=int)
@click.option("--since-last", is_flag=True, help="Only records added since the previous run.")
@click.option(
    "--batch-size",
    default=BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="PMIDs per efetch request.",
)
@click.pass_context
def search_run(ctx: click.Context, strategy_id: int, since_last: bool, batch_size: int) -> None:
    """Run a strategy against PubMed and store every record it finds.

    An interrupted run is resumed by running the same command again.

    Example: evidence search run 3 --since-last
    """
    progress = _ProgressBar()
    harvester = Harvester(runtime_of(ctx), batch_size=batch_size, on_progress=progress)
    try:
        summary = harvester.run(strategy_id, since_last=since_last)
    finally:
        progress.close()
    resumed = " (resumed)" if summary.resumed else ""
    click.echo(f"run {summary.run_id}{resumed}: {summary.outcome}")
    click.echo(f"found {summary.count}, stored {summary.retrieved}, new {summary.new}")
    if summary.missing:
        click.echo(f"never returned by PubMed: {', '.join(summary.missing)}")


def _run_line(run: SearchRun) -> str:
    when = run.started_at.strftime("%Y-%m-%d %H:%M") if run.started_at else run.run_date.isoformat()
    return (
        f"{run.id}\tv{run.strategy.version}\t{when}\t{run.outcome.value}\t"
        f"found {run.result_count if run.result_count is not None else '-'}\t"
        f"new {run.new_count if run.new_count is not None else '-'}\t{run.executed_by or '-'}"
    )


@search.command("history")
@click.argument("strategy_id", type=int)
@click.pass_context
def search_history(ctx: click.Context, strategy_id: int) -> None:
    """List every run of a strategy (all its versions), oldest first.

    Example: evidence search history 3
    """
    with runtime_of(ctx).transaction() as session:
        runs = strategy_runs(session, strategy_id=strategy_id)
        if not runs:
            click.echo("no runs yet")
        for run in runs:
            click.echo(_run_line(run))


@search.command("show-run")
@click.argument("run_id", type=int)
@click.option("--hits/--no-hits", default=True, show_default=True, help="List the PMIDs found.")
@click.pass_context
def search_show_run(ctx: click.Context, run_id: int, hits: bool) -> None:
    """Show what a run sent, what PubMed made of it, and what came back.

    Example: evidence search show-run 12
    """
    with runtime_of(ctx).transaction() as session:
        run = get_search_run(session, run_id=run_id)
        fields = {
            "run": run.id,
            "strategy": f"{run.strategy_id} ({run.strategy.name} v{run.strategy.version})",
            "outcome": run.outcome.value,
            "run by": run.executed_by,
            "started": run.started_at,
            "finished": run.finished_at,
            "query sent": run.query_sent,
            "query translation": run.query_translation,
            "window (Entrez date)": f"{run.window_from} to {run.window_to}"
            if run.window_from
            else None,
            "count": run.result_count,
            "count not listed": run.count_discrepancy,
            "stored": run.retrieved_count,
            "new": run.new_count,
            "updated": run.updated_count,
            "missing": ", ".join(run.missing_pmids) or None,
            "warnings": "; ".join(run.warnings) or None,
            "errors": "; ".join(run.errors) or None,
            "timings": run.timings or None,
            "versions": f"Biopython {run.biopython_version}, evidence {run.tool_version}",
        }
        for label, value in fields.items():
            if value is not None:
                click.echo(f"{label}: {value}")
        if hits:
            for hit in run_hits(session, run_id=run_id):
                marks = "".join(
                    mark for mark, flag in (("new ", hit.is_new), ("updated ", hit.updated)) if flag
                )
                title = hit.citation.title if hit.citation else "-"
                click.echo(
                    f"{hit.rank}\t{hit.pmid}\t{hit.state.value}\t{marks.strip() or '-'}\t{title}"
                )
