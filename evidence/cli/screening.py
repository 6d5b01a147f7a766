"""Screening commands: configure, queue, vote, conflicts, resolve, agreement."""

from __future__ import annotations

import click

from evidence.cli.base import cli, runtime_of
from evidence.models.vocabulary import ScreeningMode, ScreeningOutcome
from evidence.services.screening import (
    ScreeningResult,
    ScreeningState,
    resolve_conflict,
    screen_citation,
)
from evidence.services.screening_progress import (
    ScreeningConflict,
    screening_agreement,
    screening_conflicts,
    screening_queue,
)
from evidence.services.screening_settings import configure_screening

MODES = click.Choice([mode.value for mode in ScreeningMode])
OUTCOMES = click.Choice([outcome.value for outcome in ScreeningOutcome])
STATE_TEXT = {
    ScreeningState.DECIDED: "decided",
    ScreeningState.AWAITING_SECOND_VOTE: "recorded; waiting for the second reviewer",
    ScreeningState.CONFLICT: "recorded; the two votes differ, a third person resolves it",
}


def _code_labels(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        code, equals, label = value.partition("=")
        if not equals:
            raise click.BadParameter(f"{value!r} is not CODE=LABEL")
        pairs.append((code, label))
    return pairs


@cli.group()
def screen() -> None:
    """Screen the citations a dossier's searches found: one reviewer, or two blind ones."""


@screen.command("configure")
@click.argument("reference")
@click.option("--mode", type=MODES, required=True, help="One reviewer, or two blind reviewers.")
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    metavar="CODE=LABEL",
    callback=_code_labels,
    help="A coded reason (repeatable); given, the list replaces the current one.",
)
@click.pass_context
def screen_configure(
    ctx: click.Context, reference: str, mode: str, reasons: list[tuple[str, str]]
) -> None:
    """Set a dossier's screening mode and its coded reasons.

    Example: evidence screen configure 7097 --mode dual --reason pop="Wrong population"
    --reason design="No original data"
    """
    runtime = runtime_of(ctx)
    actor = runtime.actor
    with runtime.transaction() as session:
        settings = configure_screening(
            session,
            dossier_reference=reference,
            mode=ScreeningMode(mode),
            reasons=reasons,
            actor=actor,
        )
    click.echo(f"dossier {settings.reference}: {settings.mode.value} screening")
    for code, label in settings.reasons:
        click.echo(f"  {code}\t{label}")


@screen.command("queue")
@click.argument("reference")
@click.pass_context
def screen_queue(ctx: click.Context, reference: str) -> None:
    """List the citations you can screen next, new hits of the latest run first.

    Example: EVIDENCE_USER=jdevries evidence screen queue 7097
    """
    runtime = runtime_of(ctx)
    actor = runtime.actor
    with runtime.transaction() as session:
        items = screening_queue(session, dossier_reference=reference, actor=actor)
    if not items:
        click.echo("nothing to screen")
    for item in items:
        new = "new" if item.is_new else "-"
        click.echo(
            f"{item.citation_id}\t{item.pmid or '-'}\t{item.year or '-'}\t"
            f"run {item.run_id} #{item.rank}\t{new}\t{item.title}"
        )


@screen.command("vote")
@click.argument("reference")
@click.argument("citation_id", type=int)
@click.option("--outcome", type=OUTCOMES, required=True)
@click.option("--reason", "reason_code", metavar="CODE", help="Required for other and excluded.")
@click.option("--note", help="Free text beside the reason.")
@click.pass_context
def screen_vote(
    ctx: click.Context,
    reference: str,
    citation_id: int,
    outcome: str,
    reason_code: str | None,
    note: str | None,
) -> None:
    """Vote on a citation for a dossier (in dual mode, blind to the other vote).

    Example: EVIDENCE_USER=jdevries evidence screen vote 7097 42 --outcome excluded
    --reason pop --note "children only"
    """
    runtime = runtime_of(ctx)
    actor = runtime.actor
    with runtime.transaction() as session:
        result = screen_citation(
            session,
            dossier_reference=reference,
            citation_id=citation_id,
            outcome=ScreeningOutcome(outcome),
            reason_code=reason_code,
            note=note,
            actor=actor,
        )
    click.echo(_result_line(result))


def _result_line(result: ScreeningResult) -> str:
    return f"citation {result.citation_id}: {result.outcome.value}, {STATE_TEXT[result.state]}"


@screen.command("conflicts")
@click.argument("reference")
@click.pass_context
def screen_conflicts(ctx: click.Context, reference: str) -> None:
    """List the citations whose two votes differ, with both votes.

    Example: EVIDENCE_USER=chair evidence screen conflicts 7097
    """
    runtime = runtime_of(ctx)
    actor = runtime.actor
    with runtime.transaction() as session:
        conflicts = screening_conflicts(session, dossier_reference=reference, actor=actor)
    if not conflicts:
        click.echo("no conflicts")
    for conflict in conflicts:
        click.echo(_conflict_text(conflict))


def _conflict_text(conflict: ScreeningConflict) -> str:
    lines = [f"citation {conflict.citation_id} (PMID {conflict.pmid or '-'}): {conflict.title}"]
    for vote in conflict.votes:
        reason = f" [{vote.reason_code}: {vote.reason_label}]" if vote.reason_code else ""
        note = f" {vote.note}" if vote.note else ""
        lines.append(f"  {vote.reviewer}: {vote.outcome.value}{reason}{note}")
    return "\n".join(lines)


@screen.command("resolve")
@click.argument("reference")
@click.argument("citation_id", type=int)
@click.option("--outcome", type=OUTCOMES, required=True)
@click.option("--reason", "reason_code", metavar="CODE", help="Required for other and excluded.")
@click.option("--note", help="Why, in free text.")
@click.pass_context
def screen_resolve(
    ctx: click.Context,
    reference: str,
    citation_id: int,
    outcome: str,
    reason_code: str | None,
    note: str | None,
) -> None:
    """Settle a conflict as a third person; the resolution decides the citation.

    Example: EVIDENCE_USER=chair evidence screen resolve 7097 42 --outcome included
    """
    runtime = runtime_of(ctx)
    actor = runtime.actor
    with runtime.transaction() as session:
        result = resolve_conflict(
            session,
            dossier_reference=reference,
            citation_id=citation_id,
            outcome=ScreeningOutcome(outcome),
            reason_code=reason_code,
            note=note,
            actor=actor,
        )
    click.echo(f"citation {result.citation_id} resolved: {result.outcome.value}")


@screen.command("agreement")
@click.argument("reference")
@click.pass_context
def screen_agreement(ctx: click.Context, reference: str) -> None:
    """Show Cohen's kappa of a dossier's dual screening.

    Example: evidence screen agreement 7097
    """
    runtime = runtime_of(ctx)
    actor = runtime.actor
    with runtime.transaction() as session:
        report = screening_agreement(session, dossier_reference=reference, actor=actor)
    observed = "-" if report.observed_agreement is None else f"{report.observed_agreement:.3f}"
    kappa = "undefined" if report.kappa is None else f"{report.kappa:.3f}"
    click.echo(
        f"dossier {report.reference}: {report.pairs} pairs, {report.agreements} agree, "
        f"observed agreement {observed}, kappa {kappa}"
    )
