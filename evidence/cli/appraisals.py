"""Appraisal and causality commands: evidence appraisal set, evidence case add | who-umc."""

from __future__ import annotations

import click

from evidence.cli.base import cli, fail, runtime_of
from evidence.models.vocabulary import NaranjoAnswer, Sex, StudyDesign, WhoUmcCategory
from evidence.services.appraisals import (
    EVIDENCE_SCORES,
    AppraisalInput,
    CaseInput,
    CountInput,
    appraise_citation,
    assess_who_umc,
    record_case,
)

ANSWERS = {"y": NaranjoAnswer.YES, "n": NaranjoAnswer.NO, "?": NaranjoAnswer.UNKNOWN, "-": None}
SCORE_HELP = "KNMP evidence score: " + "; ".join(f"{k} {v}" for k, v in EVIDENCE_SCORES.items())


def _counts(values: tuple[str, ...]) -> tuple[CountInput, ...]:
    """``LABEL:N:WHAT N COUNTS`` (label may be empty): several n per source."""
    counts = []
    for value in values:
        label, _, rest = value.partition(":")
        n, _, what = rest.partition(":")
        if not n.isdigit() or not what:
            fail(f"--count {value!r}: write LABEL:N:what n counts, e.g. Casus:2:patients")
        counts.append(CountInput(n=int(n), counts=what, label=label or None))
    return tuple(counts)


@cli.group()
def appraisal() -> None:
    """Appraise screened sources: evidence score, design, counts, results, remarks."""


@appraisal.command("set")
@click.argument("reference")
@click.argument("citation_id", type=int)
@click.option("--score", type=click.IntRange(0, 4), help=SCORE_HELP)
@click.option("--basis", help="On what the score rests.")
@click.option("--design", type=click.Choice([d.value for d in StudyDesign]))
@click.option("--results", help="The results, in your own words.")
@click.option("--remarks", help="The authors' remarks.")
@click.option("--count", "counts", multiple=True, metavar="LABEL:N:WHAT", help="Repeatable.")
@click.option(
    "--version",
    "expected_version",
    type=int,
    required=True,
    help="The appraisal version you read (refused if someone saved since).",
)
@click.option("--reason", help="Why (kept in the audit trail).")
@click.pass_context
def appraisal_set(
    ctx: click.Context,
    reference: str,
    citation_id: int,
    score: int | None,
    basis: str | None,
    design: str | None,
    results: str | None,
    remarks: str | None,
    counts: tuple[str, ...],
    expected_version: int,
    reason: str | None,
) -> None:
    """Set a source's appraisal in a dossier (all fields at once).

    Example: EVIDENCE_USER=analyst evidence appraisal set 7097 3 --score 2 --basis
    "documented case" --design case_report --count ":1:patient" --version 1
    """
    values = AppraisalInput(
        evidence_score=score,
        score_basis=basis,
        study_design=StudyDesign(design) if design else None,
        results=results,
        author_remarks=remarks,
        counts=_counts(counts),
    )
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        saved = appraise_citation(
            session,
            dossier_reference=reference,
            citation_id=citation_id,
            values=values,
            expected_version=expected_version,
            actor=runtime.actor,
            reason=reason,
        )
        click.echo(f"appraisal of citation {citation_id} saved, version {saved.version_id}")


@cli.group()
def case() -> None:
    """Cases in appraised sources and their causality (Naranjo, WHO-UMC)."""


@case.command("add")
@click.argument("reference")
@click.argument("citation_id", type=int)
@click.option("--label")
@click.option("--sex", type=click.Choice([s.value for s in Sex]))
@click.option("--age", "age_years", type=click.IntRange(0, 130))
@click.option("--history")
@click.option("--dose", "dose_regimen")
@click.option("--onset", "time_to_onset", help="Time to onset, as the source words it.")
@click.option("--outcome")
@click.option(
    "--naranjo",
    metavar="ANSWERS",
    help="Ten answers y/n/?/- in question order, e.g. ?yy?n????y (- = not assessed).",
)
@click.pass_context
def case_add(
    ctx: click.Context, /, reference: str, citation_id: int, naranjo: str | None, **fields: str
) -> None:
    """Add a case to an appraisal; the Naranjo score is computed from the answers.

    Example: EVIDENCE_USER=member evidence case add 7097 3 --sex female --age 41
    --naranjo "?yy?n????y"
    """
    marks = naranjo or "-" * 10
    if len(marks) != 10 or any(mark not in ANSWERS for mark in marks):
        fail("--naranjo needs ten answers, each y, n, ? (don't know) or - (not assessed)")
    sex = fields.pop("sex")
    data = CaseInput(
        sex=Sex(sex) if sex else None,
        naranjo_answers=tuple(ANSWERS[mark] for mark in marks),
        **fields,  # type: ignore[arg-type]
    )
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        result = record_case(
            session,
            dossier_reference=reference,
            citation_id=citation_id,
            case=data,
            actor=runtime.actor,
        )
    scored = (
        f"Naranjo {result.naranjo_score} ({result.naranjo_category.value})"
        if result.naranjo_category is not None
        else "Naranjo not assessed"
    )
    click.echo(f"case {result.case_id} added; {scored}")


@case.command("who-umc")
@click.argument("case_id", type=int)
@click.option("--category", type=click.Choice([c.value for c in WhoUmcCategory]), required=True)
@click.pass_context
def case_who_umc(ctx: click.Context, case_id: int, category: str) -> None:
    """Record the WHO-UMC causality category of a case (you are the assessor, today).

    Example: EVIDENCE_USER=chair evidence case who-umc 5 --category probable
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        assessed = assess_who_umc(
            session, case_id=case_id, category=WhoUmcCategory(category), actor=runtime.actor
        )
        click.echo(f"case {case_id}: {category}, assessed by {assessed.who_umc_assessor}")
