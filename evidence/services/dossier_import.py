"""Import one whole dossier from a validated dossier document."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.errors import Conflict
from evidence.models import (
    Appraisal,
    AppraisalCount,
    Case,
    Citation,
    Decision,
    Dossier,
    DossierAbbreviation,
    Pico,
    Product,
    RiskFactor,
    SearchHit,
    SearchRun,
    SearchStrategy,
    SpcStatement,
    SpcStatementProduct,
    Substance,
)
from evidence.models.vocabulary import (
    DossierStatus,
    FrequencyCategory,
    NaranjoAnswer,
    NaranjoCategory,
    OrganClass,
    ScreeningOutcome,
    SearchRunOutcome,
    Severity,
    Sex,
    SpcSection,
    StudyDesign,
    TextAvailability,
    WhoUmcCategory,
)
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event
from evidence.services.catalog import (
    ensure_citation,
    ensure_condition,
    ensure_product,
    ensure_substance,
)

Citations = dict[str, Citation]
EnumT = TypeVar("EnumT", bound=enum.Enum)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _enum(kind: type[EnumT], value: str | None) -> EnumT | None:
    return kind(value) if value is not None else None


def _strategy(data: dict[str, Any], citations: Citations) -> SearchStrategy:
    return SearchStrategy(
        name=data["name"],
        version=data.get("version", 1),
        terms=data["terms"],
        mesh_terms_only=data.get("mesh_terms_only", False),
        publication_types=data.get("publication_types", []),
        species=data.get("species", []),
        languages=data.get("languages", []),
        text_availability=_enum(TextAvailability, data.get("text_availability")),
        date_from=_date(data.get("date_from")),
        date_to=_date(data.get("date_to")),
        created_by=data.get("created_by"),
        runs=[_run(run, citations) for run in data.get("runs", [])],
    )


def _run(data: dict[str, Any], citations: Citations) -> SearchRun:
    return SearchRun(
        run_date=date.fromisoformat(data["run_date"]),
        started_at=_datetime(data.get("started_at")),
        finished_at=_datetime(data.get("finished_at")),
        executed_by=data.get("executed_by"),
        query_sent=data.get("query_sent"),
        query_translation=data.get("query_translation"),
        result_count=data.get("result_count"),
        outcome=SearchRunOutcome(data["outcome"]),
        note=data.get("note"),
        hits=[
            SearchHit(
                citation=citations[hit["citation"]],
                pmid=citations[hit["citation"]].pmid,
                rank=hit["rank"],
                is_new=hit.get("is_new", False),
            )
            for hit in data.get("hits", [])
        ],
    )


def _case(position: int, data: dict[str, Any]) -> Case:
    answers = data.get("naranjo_answers") or [None] * 10
    reported = data.get("naranjo_reported") or {}
    who_umc = data.get("who_umc") or {}
    return Case(
        position=position,
        label=data.get("label"),
        sex=_enum(Sex, data.get("sex")),
        age_years=data.get("age_years"),
        history=data.get("history"),
        dose_regimen=data.get("dose_regimen"),
        time_to_onset=data.get("time_to_onset"),
        time_to_onset_hours=data.get("time_to_onset_hours"),
        co_medication=data.get("co_medication"),
        outcome=data.get("outcome"),
        other_findings=data.get("other_findings"),
        **{f"naranjo_{i + 1}": _enum(NaranjoAnswer, answer) for i, answer in enumerate(answers)},
        naranjo_reported_score=reported.get("score"),
        naranjo_reported_category=_enum(NaranjoCategory, reported.get("category")),
        naranjo_reported_source=reported.get("source"),
        who_umc_category=_enum(WhoUmcCategory, who_umc.get("category")),
        who_umc_assessor=who_umc.get("assessor"),
        who_umc_assessed_on=_date(who_umc.get("assessed_on")),
    )


def _appraisal(position: int, data: dict[str, Any], citations: Citations) -> Appraisal:
    return Appraisal(
        position=position,
        citation=citations[data["citation"]],
        screening=ScreeningOutcome(data["screening"]),
        exclusion_reason=data.get("exclusion_reason"),
        evidence_score=data.get("evidence_score"),
        score_basis=data.get("score_basis"),
        study_design=_enum(StudyDesign, data.get("study_design")),
        results=data.get("results"),
        author_remarks=data.get("author_remarks"),
        appraised_by=data.get("appraised_by"),
        appraised_at=_datetime(data.get("appraised_at")),
        counts=[
            AppraisalCount(position=i, label=c.get("label"), n=c["n"], counts=c["counts"])
            for i, c in enumerate(data.get("counts", []))
        ],
        cases=[_case(i, case) for i, case in enumerate(data.get("cases", []))],
    )


def _same_statement(stored: SpcStatement, data: dict[str, Any]) -> bool:
    products = [(link.product.name, link.spc_date) for link in stored.products]
    wanted = [(link["product"], _date(link.get("spc_date"))) for link in data["products"]]
    return (
        stored.section == SpcSection(data["section"])
        and stored.text == data["text"]
        and products == wanted
    )


def _import_spc_statements(
    session: Session, substance: Substance, products: dict[str, Product], items: list[Any]
) -> None:
    """Statements belong to the substance's products; ones already stored are kept."""
    stored = list(
        session.scalars(sa.select(SpcStatement).where(SpcStatement.substance_id == substance.id))
    )
    position = max((s.position for s in stored), default=-1) + 1
    for data in items:
        if any(_same_statement(statement, data) for statement in stored):
            continue
        statement = SpcStatement(
            substance=substance,
            position=position,
            section=SpcSection(data["section"]),
            organ_class=_enum(OrganClass, data.get("organ_class")),
            organ_class_text=data.get("organ_class_text"),
            term=data.get("term"),
            frequency=_enum(FrequencyCategory, data.get("frequency")),
            frequency_text=data.get("frequency_text"),
            text=data["text"],
            language=data.get("language", "nl"),
            note=data.get("note"),
            products=[
                SpcStatementProduct(
                    product=products[link["product"]],
                    position=i,
                    spc_date=_date(link.get("spc_date")),
                )
                for i, link in enumerate(data["products"])
            ],
        )
        session.add(statement)
        stored.append(statement)
        position += 1


def _decisions(items: list[dict[str, Any]], actor: Actor) -> list[Decision]:
    decisions = [
        Decision(
            contraindication=data["contraindication"],
            action_needed=data["action_needed"],
            decided_on=date.fromisoformat(data["decided_on"]),
            rationale=data["rationale"],
            decided_by=data["decided_by"],
            severity=_enum(Severity, data.get("severity")),
            recorded_by=actor.name,
        )
        for data in items
    ]
    return decisions


def import_dossier(
    session: Session, *, document: dict[str, Any], actor: Actor, source: str | None = None
) -> Dossier:
    """Store a whole dossier from a validated document (see ``evidence.dossier_files``)."""
    require(actor, Permission.IMPORT_DOSSIER)
    reference = document["reference"]
    if session.scalar(sa.select(Dossier.id).where(Dossier.reference == reference)):
        raise Conflict(f"dossier {reference} already exists")
    substance = ensure_substance(session, document["substance"])
    condition = ensure_condition(session, document["condition"])
    products = {
        p["name"]: ensure_product(session, p, substance) for p in document.get("products", [])
    }
    citations = {c["key"]: ensure_citation(session, c) for c in document.get("citations", [])}
    pico = document.get("pico")
    dossier = Dossier(
        reference=reference,
        reference_scheme=document.get("reference_scheme"),
        title=document["title"],
        language=document.get("language", "nl"),
        substance=substance,
        condition=condition,
        status=DossierStatus(document["status"]),
        conclusion=document.get("conclusion"),
        additional_remarks=document.get("additional_remarks"),
        abbreviations=_abbreviations(document.get("abbreviations", [])),
        pico=Pico(**pico) if pico else None,
        search_strategies=[_strategy(s, citations) for s in document.get("search_strategies", [])],
        appraisals=[
            _appraisal(i, a, citations) for i, a in enumerate(document.get("appraisals", []))
        ],
        risk_factors=_risk_factors(document.get("risk_factors", []), citations),
    )
    session.add(dossier)
    session.flush()
    _import_spc_statements(session, substance, products, document.get("spc_statements", []))
    _record_decisions(session, dossier, _decisions(document.get("decisions", []), actor))
    record_event(
        session,
        actor=actor,
        action="import",
        entity_type="dossier",
        entity_id=reference,
        after={"title": dossier.title, "status": dossier.status.value, "source": source},
    )
    return dossier


def _abbreviations(items: list[dict[str, Any]]) -> list[DossierAbbreviation]:
    return [
        DossierAbbreviation(position=i, abbreviation=a["abbreviation"], meaning=a["meaning"])
        for i, a in enumerate(items)
    ]


def _risk_factors(items: list[dict[str, Any]], citations: dict[str, Citation]) -> list[RiskFactor]:
    """Risk factors in order, each with the cited sources it rests on (by key)."""
    return [
        RiskFactor(position=i, text=f["text"], sources=[citations[k] for k in f.get("sources", [])])
        for i, f in enumerate(items)
    ]


def _record_decisions(session: Session, dossier: Dossier, decisions: list[Decision]) -> None:
    """Store in order; each later decision supersedes the one before it."""
    previous: Decision | None = None
    for decision in decisions:
        decision.dossier = dossier
        decision.supersedes = previous
        session.add(decision)
        session.flush()
        previous = decision
