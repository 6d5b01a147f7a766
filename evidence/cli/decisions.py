"""Decision, lifecycle and SPC commands, and ``evidence export register``.

evidence decision record | history | verify, evidence dossier-status,
evidence spc timeline | check, evidence export register.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

import click

from evidence import exports
from evidence.cli.base import cli, fail, runtime_of
from evidence.cli.citations import export_group
from evidence.cli.users import read_password
from evidence.models import Decision
from evidence.models.vocabulary import DossierStatus, Severity, SignatureMeaning
from evidence.permissions import Permission, require
from evidence.services.decisions import record_decision, verify_snapshot
from evidence.services.lifecycle import change_dossier_status
from evidence.services.register import (
    DecisionRecord,
    RegisterEntry,
    decision_history,
    register_as_of,
)
from evidence.services.spc_checks import spc_disagreements, spc_timeline

YES_NO = click.Choice(["yes", "no"])
DATE = click.DateTime(["%Y-%m-%d"])


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _time(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


# ---------------------------------------------------------------- decisions


@cli.group()
def decision() -> None:
    """Record signed decisions on dossiers and read their history."""


@decision.command("record")
@click.argument("reference")
@click.option("--contraindication", type=YES_NO, required=True, help="Contra-indication yes/no.")
@click.option("--action", type=YES_NO, required=True, help="Action needed yes/no (warns).")
@click.option("--date", "decided_on", type=DATE, required=True, help="Meeting date, YYYY-MM-DD.")
@click.option("--rationale", required=True, help="Why the committee decided so.")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), help="Class A-F.")
@click.option(
    "--meaning",
    type=click.Choice([m.value for m in SignatureMeaning]),
    default=SignatureMeaning.APPROVED.value,
    show_default=True,
    help="What your signature means.",
)
@click.option("--decided-by", help="The deciding body (default: as the decision superseded).")
@click.option(
    "--supersedes",
    "expected_current_id",
    type=int,
    metavar="ID",
    help="The decision you mean to supersede; refused if another was recorded since.",
)
@click.option("--password-stdin", is_flag=True, help="Read your password from standard input.")
@click.pass_context
def decision_record(
    ctx: click.Context,
    /,
    reference: str,
    contraindication: str,
    action: str,
    decided_on: datetime,
    rationale: str,
    severity: str | None,
    meaning: str,
    decided_by: str | None,
    expected_current_id: int | None,
    password_stdin: bool,
) -> None:
    """Sign a decision as chair (EVIDENCE_USER); the evidence is frozen with it.

    Your password is asked for again: it is your electronic signature.

    Example: evidence decision record 7097 --contraindication yes --action yes
    --date 2019-11-14 --rationale "monitor: plausible mechanism" --severity D
    """
    runtime = runtime_of(ctx)
    actor = runtime.actor
    require(actor, Permission.SIGN_DECISION)  # before asking for a password in vain
    password = read_password(password_stdin, confirm=False)
    with runtime.transaction() as session:
        signed = record_decision(
            session,
            dossier_reference=reference,
            contraindication=contraindication == "yes",
            action_needed=action == "yes",
            decided_on=decided_on.date(),
            rationale=rationale,
            severity=Severity(severity) if severity else None,
            meaning=SignatureMeaning(meaning),
            password=password,
            actor=actor,
            expected_current_id=expected_current_id,
            decided_by=decided_by,
        )
        for line in _signed_lines(signed, reference, signer=actor.name, meaning=meaning):
            click.echo(line)


def _signed_lines(signed: Decision, reference: str, *, signer: str, meaning: str) -> list[str]:
    """What was signed, and by whom (``signer`` if the decision names no user)."""
    if signed.signed_by:
        signer = signed.signed_by.display_name
    snapshot_hash = signed.snapshot.content_hash if signed.snapshot else "-"
    supersedes = f"; supersedes decision {signed.supersedes_id}" if signed.supersedes_id else ""
    return [
        f"decision {signed.id} on dossier {reference}: contra-indication "
        f"{_yes_no(signed.contraindication)}, action {_yes_no(signed.action_needed)}, "
        f"{signed.decided_on.isoformat()}{supersedes}",
        f"signed by {signer} at {_time(signed.signed_at)} ({meaning}); "
        f"evidence frozen, sha256 {snapshot_hash}",
    ]


def _history_lines(record: DecisionRecord) -> list[str]:
    if record.signer:
        signature = f"signed by {record.signer} at {_time(record.signed_at)} "
        signature += f"({record.signature_meaning})"
    else:
        signature = f"not signed here (decided by {record.decided_by})"
    state = "in force" if record.in_force else f"superseded by {record.superseded_by_id}"
    verdict = (
        f"contra-indication {_yes_no(record.contraindication)}, "
        f"action {_yes_no(record.action_needed)}, severity {record.severity or '-'}"
    )
    return [
        f"{record.id}\t{record.decided_on.isoformat()}\t{verdict}\t{signature}\t{state}",
        f"  rationale: {' '.join(record.rationale.split())}",
    ]


@decision.command("history")
@click.argument("reference")
@click.pass_context
def decision_history_command(ctx: click.Context, reference: str) -> None:
    """List a dossier's decisions, oldest first, with what superseded each.

    Example: evidence decision history 7097
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        records = decision_history(session, dossier_reference=reference, actor=runtime.actor)
    if not records:
        click.echo(f"no decisions on dossier {reference}")
    for record in records:
        for line in _history_lines(record):
            click.echo(line)


@decision.command("verify")
@click.argument("decision_id", type=int)
@click.pass_context
def decision_verify(ctx: click.Context, decision_id: int) -> None:
    """Check a decision's frozen evidence against its hash; exit 1 if it does not hold.

    Example: evidence decision verify 2
    """
    with runtime_of(ctx).transaction() as session:
        intact = verify_snapshot(session, decision_id=decision_id)
    click.echo(f"decision {decision_id}: evidence {'intact' if intact else 'ALTERED'}")
    if not intact:
        ctx.exit(1)


# ---------------------------------------------------------------- lifecycle


@cli.command("dossier-status")
@click.argument("reference")
@click.argument("new_status", type=click.Choice([s.value for s in DossierStatus]))
@click.option("--reason", help="Why (kept in the audit trail).")
@click.option(
    "--expected-version",
    type=int,
    metavar="N",
    help="The dossier version you read; refused if it has changed since.",
)
@click.pass_context
def dossier_status(
    ctx: click.Context,
    reference: str,
    new_status: str,
    reason: str | None,
    expected_version: int | None,
) -> None:
    """Move a dossier along draft → in_review → decided → re_evaluation_due (chair).

    A dossier becomes decided only by `evidence decision record`.

    Example: evidence dossier-status 7097 re_evaluation_due --reason "yearly review"
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        changed = change_dossier_status(
            session,
            dossier_reference=reference,
            new_status=DossierStatus(new_status),
            actor=runtime.actor,
            expected_version=expected_version,
            reason=reason,
        )
        click.echo(
            f"dossier {reference}: now {changed.status.value} (version {changed.version_id})"
        )


# ---------------------------------------------------------------- SPC


@cli.group()
def spc() -> None:
    """The products' SPCs of a dossier: how they changed, and checks against the decision."""


@spc.command("timeline")
@click.argument("reference")
@click.pass_context
def spc_timeline_command(ctx: click.Context, reference: str) -> None:
    """Per product, each SPC revision by date with its statements.

    Example: evidence spc timeline 7097
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        entries = spc_timeline(session, dossier_reference=reference, actor=runtime.actor)
    if not entries:
        click.echo(f"no SPC statements for dossier {reference}")
    product = None
    for entry in entries:
        if entry.product != product:
            product = entry.product
            click.echo(product)
        when = entry.spc_date.isoformat() if entry.spc_date else "undated"
        click.echo(f"  {when}{' (current)' if entry.current else ''}")
        for statement in entry.statements:
            click.echo(f"    {statement.section}\t{statement.term or statement.text}")


@spc.command("check")
@click.argument("reference")
@click.pass_context
def spc_check(ctx: click.Context, reference: str) -> None:
    """List where the SPCs disagree with the current decision; exit 1 if any do.

    Example: evidence spc check 7097
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        found = spc_disagreements(session, dossier_reference=reference, actor=runtime.actor)
    if not found:
        click.echo("no disagreements")
        return
    for item in found:
        when = item.spc_date.isoformat() if item.spc_date else "-"
        click.echo(f"{item.kind}\t{item.product or '-'}\t{when}\t{item.message}")
    ctx.exit(1)


# ---------------------------------------------------------------- register export

TextWriter = Callable[[Sequence[RegisterEntry], TextIO], int]


def _text_writer(fmt: str, as_of: date) -> TextWriter:
    writers: dict[str, Callable[..., int]] = {
        "csv": exports.write_register_csv,
        "json": exports.write_register_json,
    }
    chosen = writers[fmt]

    def write(entries: Sequence[RegisterEntry], out: TextIO) -> int:
        return chosen(entries, out, as_of=as_of)

    return write


@export_group.command("register")
@click.option("--as-of", "as_of", type=DATE, help="The day the register speaks for (today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "json"]),
    default="csv",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of stdout (required for xlsx).",
)
@click.pass_context
def export_register(
    ctx: click.Context, as_of: datetime | None, fmt: str, output: Path | None
) -> None:
    """Write every dossier with the decision in force on a day (CSV opens in Excel).

    Example: evidence export register --as-of 2020-01-01 --format xlsx -o register.xlsx
    """
    if fmt == "xlsx" and output is None:
        fail("xlsx is a binary format: give -o FILE")
    day = as_of.date() if as_of else date.today()
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        entries = register_as_of(session, day=day, actor=runtime.actor)
    if fmt == "xlsx":
        assert output is not None  # noqa: S101 - checked above
        exports.write_register_xlsx(entries, output, as_of=day)
    elif output is None:
        _text_writer(fmt, day)(entries, sys.stdout)
        return
    else:
        # The CSV writer sets its own line ends (CRLF) and its BOM.
        with output.open("w", encoding="utf-8", newline="") as out:
            _text_writer(fmt, day)(entries, out)
    click.echo(f"wrote {output} ({len(entries)} dossiers as of {day.isoformat()})", err=True)
