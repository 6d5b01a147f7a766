"""Export one whole dossier as a dossier document (plain data, see ``dossier_files``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.dossier_files import FORMAT
from evidence.errors import NotFound
from evidence.models import (
    Appraisal,
    Case,
    Citation,
    Decision,
    Dossier,
    Pico,
    SearchRun,
    SearchStrategy,
    SpcStatement,
)
from evidence.pubmed.record_rows import normalise_title
from evidence.services.catalog import CITATION_FIELDS
from evidence.services.plain_values import CASE_DESCRIPTION_FIELDS, plain_value


def get_dossier(session: Session, *, reference: str) -> Dossier:
    dossier = session.scalar(sa.select(Dossier).where(Dossier.reference == reference))
    if dossier is None:
        raise NotFound(f"no dossier with reference {reference!r}")
    return dossier


def _value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 4 hours, not 4.0: the file reads as it was written
    return plain_value(value)


def _cited(dossier: Dossier) -> list[Citation]:
    """Every citation the dossier points at, in order of first mention."""
    seen: dict[int, Citation] = {}
    for appraisal in dossier.appraisals:
        seen.setdefault(appraisal.citation.id, appraisal.citation)
    for factor in dossier.risk_factors:
        for citation in factor.sources:
            seen.setdefault(citation.id, citation)
    for strategy in dossier.search_strategies:
        for run in strategy.runs:
            for hit in run.hits:
                if hit.citation is not None:
                    seen.setdefault(hit.citation.id, hit.citation)
    return list(seen.values())


def citation_keys(citations: list[Citation]) -> dict[int, str]:
    """Readable local keys: ``paran-2005``, then ``paran-2005b`` on a clash."""
    keys: dict[int, str] = {}
    used: set[str] = set()
    for citation in citations:
        first = citation.authors[0] if citation.authors else None
        name = (first.last_name or first.collective_name) if first else citation.title
        stem = normalise_title(name or "source").split(" ")[0] or "source"
        base = f"{stem}-{citation.year}" if citation.year else stem
        key, suffix = base, ord("b")
        while key in used:
            key, suffix = f"{base}{chr(suffix)}", suffix + 1
        used.add(key)
        keys[citation.id] = key
    return keys


def _citation(citation: Citation, key: str) -> dict[str, Any]:
    document: dict[str, Any] = {"key": key}
    document |= {field: getattr(citation, field) for field in CITATION_FIELDS}
    document["author_list_complete"] = None if citation.author_list_complete else False
    document["authors"] = [
        {"collective_name": a.collective_name}
        if a.collective_name
        else {
            "last_name": a.last_name,
            "fore_name": a.fore_name,
            "initials": a.initials,
            "affiliation": a.affiliation,
            "orcid": a.orcid,
        }
        for a in citation.authors
    ]
    document["abstract"] = [
        {"label": s.label, "nlm_category": s.nlm_category, "text": s.text}
        for s in citation.abstract_sections
    ]
    document["mesh_headings"] = [
        {
            "descriptor": h.descriptor,
            "descriptor_ui": h.descriptor_ui,
            "major_topic": h.major_topic or None,
            "qualifiers": [
                {"name": q.name, "ui": q.ui, "major_topic": q.major_topic or None}
                for q in h.qualifiers
            ],
        }
        for h in citation.mesh_headings
    ]
    document["publication_types"] = [
        t.name if t.ui is None else {"name": t.name, "ui": t.ui} for t in citation.publication_types
    ]
    return document


def _run(run: SearchRun, keys: dict[int, str]) -> dict[str, Any]:
    fields = (
        "run_date",
        "started_at",
        "finished_at",
        "executed_by",
        "query_sent",
        "query_translation",
        "result_count",
        "outcome",
        "note",
    )
    document = {field: _value(getattr(run, field)) for field in fields}
    document["hits"] = [
        {"citation": keys[h.citation_id], "rank": h.rank, "is_new": h.is_new or None}
        for h in run.hits
        if h.citation_id is not None
    ]
    return document


def _strategy(strategy: SearchStrategy, keys: dict[int, str]) -> dict[str, Any]:
    fields = (
        "name",
        "version",
        "terms",
        "mesh_terms_only",
        "publication_types",
        "species",
        "languages",
        "text_availability",
        "date_from",
        "date_to",
        "created_by",
    )
    document = {field: _value(getattr(strategy, field)) for field in fields}
    document["mesh_terms_only"] = strategy.mesh_terms_only or None
    document["runs"] = [_run(run, keys) for run in strategy.runs]
    return document


def _case(case: Case) -> dict[str, Any]:
    document = {field: _value(getattr(case, field)) for field in CASE_DESCRIPTION_FIELDS}
    answers = [_value(answer) for answer in case.naranjo_answers]
    document["naranjo_answers"] = answers if any(answers) else None
    if case.naranjo_reported_source:
        document["naranjo_reported"] = {
            "score": case.naranjo_reported_score,
            "category": _value(case.naranjo_reported_category),
            "source": case.naranjo_reported_source,
        }
    if case.who_umc_category:
        document["who_umc"] = {
            "category": _value(case.who_umc_category),
            "assessor": case.who_umc_assessor,
            "assessed_on": _value(case.who_umc_assessed_on),
        }
    return document


def _appraisal(appraisal: Appraisal, keys: dict[int, str]) -> dict[str, Any]:
    fields = (
        "screening",
        "exclusion_reason",
        "evidence_score",
        "score_basis",
        "study_design",
        "results",
        "author_remarks",
        "appraised_by",
        "appraised_at",
    )
    document: dict[str, Any] = {"citation": keys[appraisal.citation_id]}
    document |= {field: _value(getattr(appraisal, field)) for field in fields}
    document["counts"] = [
        {"label": c.label, "n": c.n, "counts": c.counts} for c in appraisal.counts
    ]
    document["cases"] = [_case(case) for case in appraisal.cases]
    return document


def _spc_statement(statement: SpcStatement) -> dict[str, Any]:
    fields = (
        "organ_class",
        "organ_class_text",
        "term",
        "frequency",
        "frequency_text",
        "text",
        "language",
        "note",
    )
    document: dict[str, Any] = {"section": statement.section.value}
    document["products"] = [
        {"product": link.product.name, "spc_date": _value(link.spc_date)}
        for link in statement.products
    ]
    document |= {field: _value(getattr(statement, field)) for field in fields}
    return document


def export_dossier(session: Session, *, reference: str) -> dict[str, Any]:
    """The whole dossier as a document that ``import_dossier`` reads back unchanged."""
    dossier = get_dossier(session, reference=reference)
    cited = _cited(dossier)
    keys = citation_keys(cited)
    statements = session.scalars(
        sa.select(SpcStatement)
        .where(SpcStatement.substance_id == dossier.substance_id)
        .order_by(SpcStatement.position)
    )
    return {
        "format": FORMAT,
        "reference": dossier.reference,
        "reference_scheme": dossier.reference_scheme,
        "title": dossier.title,
        "language": dossier.language,
        "status": dossier.status.value,
        **_substance_and_condition(dossier),
        "abbreviations": [
            {"abbreviation": a.abbreviation, "meaning": a.meaning} for a in dossier.abbreviations
        ],
        "conclusion": dossier.conclusion,
        "additional_remarks": dossier.additional_remarks,
        "pico": _pico(dossier.pico),
        "search_strategies": [_strategy(s, keys) for s in dossier.search_strategies],
        "citations": [_citation(c, keys[c.id]) for c in cited],
        "appraisals": [_appraisal(a, keys) for a in dossier.appraisals],
        "spc_statements": [_spc_statement(s) for s in statements],
        "risk_factors": [
            {"text": f.text, "sources": [keys[c.id] for c in f.sources]}
            for f in dossier.risk_factors
        ],
        "decisions": [_decision(d) for d in dossier.decisions],
    }


def _substance_and_condition(dossier: Dossier) -> dict[str, Any]:
    substance, condition = dossier.substance, dossier.condition
    return {
        "substance": {
            "name": substance.name,
            "atc_code": substance.atc_code,
            "synonyms": substance.synonyms,
        },
        "condition": {
            "name": condition.name,
            "synonyms": condition.synonyms,
            "code_system": condition.code_system,
            "code": condition.code,
        },
        "products": [{"name": p.name, "synonyms": p.synonyms} for p in substance.products],
    }


def _pico(pico: Pico | None) -> dict[str, Any] | None:
    if pico is None:
        return None
    return {
        "population": pico.population,
        "intervention": pico.intervention,
        "comparison": pico.comparison,
        "outcome": pico.outcome,
    }


def _decision(decision: Decision) -> dict[str, Any]:
    return {
        "contraindication": decision.contraindication,
        "action_needed": decision.action_needed,
        "decided_on": decision.decided_on.isoformat(),
        "rationale": decision.rationale,
        "decided_by": decision.decided_by,
        "severity": _value(decision.severity),
    }
