"""Appraisal of a screened source, and causality of the cases it describes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.causality import naranjo_category, naranjo_score
from evidence.errors import Conflict, InvalidInput, NotFound
from evidence.models import Appraisal, AppraisalCount, AuditEvent, Case, Dossier
from evidence.models.base import utcnow
from evidence.models.vocabulary import (
    NaranjoAnswer,
    NaranjoCategory,
    Sex,
    StudyDesign,
    WhoUmcCategory,
)
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event
from evidence.services.concurrency import saved_only_if_unchanged

# KNMP evidence scores for one source (van Roon et al. 2005; Br J Clin Pharmacol
# 2007;63:258, table 2), paraphrased; shown where a score is chosen.
EVIDENCE_SCORES = {
    0: "Animal or in-vitro studies with limited predictive value for humans; data on file",
    1: "Incomplete published case report (no re- or dechallenge, or other explanations)",
    2: "Well-documented published case report; retrospective analysis of case series",
    3: "Controlled published study in patients or volunteers with surrogate end-points",
    4: "Controlled published study in patients with relevant clinical end-points",
}


@dataclass(frozen=True)
class CountInput:
    n: int
    counts: str
    label: str | None = None


@dataclass(frozen=True)
class AppraisalInput:
    """The fields of an appraisal a reviewer sets; ``None`` clears a field."""

    evidence_score: int | None
    score_basis: str | None = None
    study_design: StudyDesign | None = None
    results: str | None = None
    author_remarks: str | None = None
    counts: Sequence[CountInput] = field(default_factory=tuple)

    def check(self) -> None:
        if self.evidence_score is not None and self.evidence_score not in EVIDENCE_SCORES:
            raise InvalidInput(f"an evidence score is 0 to 4, not {self.evidence_score}")
        if self.evidence_score is not None and not (self.score_basis or "").strip():
            raise InvalidInput("say on what the evidence score is based (score basis)")
        for count in self.counts:
            if count.n < 0 or not count.counts.strip():
                raise InvalidInput("each count needs n >= 0 and what n counts")


def _appraisal(session: Session, dossier_reference: str, citation_id: int) -> Appraisal:
    appraisal = session.scalar(
        sa.select(Appraisal)
        .join(Dossier, Dossier.id == Appraisal.dossier_id)
        .where(Dossier.reference == dossier_reference, Appraisal.citation_id == citation_id)
    )
    if appraisal is None:
        raise NotFound(
            f"citation {citation_id} is not screened in dossier {dossier_reference}: "
            "screen it before appraising it"
        )
    return appraisal


def stale_appraisal(session: Session, appraisal: Appraisal, expected: int) -> Conflict:
    """The conflict message: who changed the appraisal since the user read it, and when."""
    last = session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "appraisal", AuditEvent.entity_id == str(appraisal.id))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    by = f" by {last.actor} at {last.occurred_at:%Y-%m-%d %H:%M} UTC" if last else ""
    return Conflict(
        f"the appraisal was changed{by} since you opened it (version {appraisal.version_id}, "
        f"you had {expected}); nothing was saved: reload and apply your change again"
    )


def _snapshot(appraisal: Appraisal) -> dict[str, Any]:
    return {
        "evidence_score": appraisal.evidence_score,
        "score_basis": appraisal.score_basis,
        "study_design": appraisal.study_design.value if appraisal.study_design else None,
        "results": appraisal.results,
        "author_remarks": appraisal.author_remarks,
        "counts": [(c.label, c.n, c.counts) for c in appraisal.counts],
        "version": appraisal.version_id,
    }


def appraise_citation(
    session: Session,
    *,
    dossier_reference: str,
    citation_id: int,
    values: AppraisalInput,
    expected_version: int,
    actor: Actor,
    reason: str | None = None,
) -> Appraisal:
    """Set score, design, counts, results and remarks; refused if someone changed it first."""
    require(actor, Permission.APPRAISE)
    values.check()
    appraisal = _appraisal(session, dossier_reference, citation_id)
    if appraisal.version_id != expected_version:
        raise stale_appraisal(session, appraisal, expected_version)
    before = _snapshot(appraisal)
    # Old counts go first, by SQL: the new ones reuse their positions (unique per
    # appraisal). No autoflush in between, so the version moves once.
    with saved_only_if_unchanged("the appraisal"):
        session.execute(
            sa.delete(AppraisalCount).where(AppraisalCount.appraisal_id == appraisal.id)
        )
    session.expire(appraisal, ["counts"])
    with session.no_autoflush:
        appraisal.evidence_score = values.evidence_score
        appraisal.score_basis = values.score_basis
        appraisal.study_design = values.study_design
        appraisal.results = values.results
        appraisal.author_remarks = values.author_remarks
        appraisal.appraised_by, appraisal.appraised_at = actor.name, utcnow()
        appraisal.counts = [
            AppraisalCount(position=i, label=c.label, n=c.n, counts=c.counts)
            for i, c in enumerate(values.counts)
        ]
    with saved_only_if_unchanged("the appraisal"):
        session.flush()
    record_event(
        session,
        actor=actor,
        action="appraise",
        entity_type="appraisal",
        entity_id=str(appraisal.id),
        before=before,
        after=_snapshot(appraisal),
        reason=reason,
    )
    return appraisal


@dataclass(frozen=True)
class CaseInput:
    label: str | None = None
    sex: Sex | None = None
    age_years: int | None = None
    history: str | None = None
    dose_regimen: str | None = None
    time_to_onset: str | None = None
    time_to_onset_hours: float | None = None
    co_medication: str | None = None
    outcome: str | None = None
    other_findings: str | None = None
    naranjo_answers: Sequence[NaranjoAnswer | None] = (None,) * 10
    # A result the authors (or others) reported, with where it comes from.
    naranjo_reported_score: int | None = None
    naranjo_reported_category: NaranjoCategory | None = None
    naranjo_reported_source: str | None = None


@dataclass(frozen=True)
class CaseResult:
    case_id: int
    naranjo_score: int | None
    naranjo_category: NaranjoCategory | None


def record_case(
    session: Session,
    *,
    dossier_reference: str,
    citation_id: int,
    case: CaseInput,
    actor: Actor,
) -> CaseResult:
    """Add a patient case to an appraisal; its Naranjo score is computed, never typed in."""
    require(actor, Permission.ASSESS_CAUSALITY)
    score = naranjo_score(list(case.naranjo_answers))
    reported = (case.naranjo_reported_score, case.naranjo_reported_category)
    if any(value is not None for value in reported) and not case.naranjo_reported_source:
        raise InvalidInput("a reported Naranjo result needs its source (who reported it)")
    appraisal = _appraisal(session, dossier_reference, citation_id)
    values = {k: v for k, v in case.__dict__.items() if k != "naranjo_answers"}
    answers = {f"naranjo_{i}": answer for i, answer in enumerate(case.naranjo_answers, 1)}
    stored = Case(position=len(appraisal.cases), **values, **answers)
    appraisal.cases.append(stored)
    session.flush()
    category = naranjo_category(score) if score is not None else None
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="case",
        entity_id=str(stored.id),
        after={
            "appraisal": appraisal.id,
            "label": case.label,
            "naranjo_score": score,
            "naranjo_category": category.value if category else None,
        },
    )
    return CaseResult(stored.id, score, category)


def assess_who_umc(
    session: Session,
    *,
    case_id: int,
    category: WhoUmcCategory,
    actor: Actor,
    assessed_on: date | None = None,
) -> Case:
    """The WHO-UMC category, a judgement: kept with who made it and when."""
    require(actor, Permission.ASSESS_CAUSALITY)
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    before = {
        "category": case.who_umc_category.value if case.who_umc_category else None,
        "assessor": case.who_umc_assessor,
    }
    case.who_umc_category = category
    case.who_umc_assessor = actor.name
    case.who_umc_assessed_on = assessed_on or utcnow().date()
    record_event(
        session,
        actor=actor,
        action="assess",
        entity_type="case",
        entity_id=str(case.id),
        before=before,
        after={"category": category.value, "assessor": actor.name},
    )
    return case
