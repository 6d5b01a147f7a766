"""The evidence a decision rests on, frozen: canonical JSON and its SHA-256.

At signing, every appraisal (with counts and cases, Naranjo computed), the SPC
statements of the substance, the risk factors, the conclusion and the search runs of
the dossier are written into one document; its hash is stored with it, so any later
change to the stored copy shows.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from evidence.causality import naranjo_category, naranjo_score
from evidence.models import (
    Appraisal,
    Case,
    Citation,
    Dossier,
    SearchRun,
    SearchStrategy,
    SpcStatement,
    SpcStatementProduct,
)
from evidence.services.plain_values import CASE_DESCRIPTION_FIELDS, plain_value

SNAPSHOT_FORMAT: Final = "evidence-snapshot/1"


def canonical_json(content: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, characters as they are: one byte string per content."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _citation_ref(citation: Citation) -> dict[str, Any]:
    return {
        "id": citation.id,
        "pmid": citation.pmid,
        "doi": citation.doi,
        "title": citation.title,
        "year": citation.year,
        "retracted": citation.retracted,
        "withdrawn_at": plain_value(citation.withdrawn_at),
    }


_CASE_FIELDS: Final = (
    *CASE_DESCRIPTION_FIELDS,
    "naranjo_reported_score",
    "naranjo_reported_category",
    "naranjo_reported_source",
    "who_umc_category",
    "who_umc_assessor",
    "who_umc_assessed_on",
)


def _case(case: Case) -> dict[str, Any]:
    document = {field: plain_value(getattr(case, field)) for field in _CASE_FIELDS}
    # The score is computed from the answers as they stood, never taken as typed.
    score = naranjo_score(case.naranjo_answers)
    document["id"] = case.id
    document["naranjo_answers"] = [plain_value(answer) for answer in case.naranjo_answers]
    document["naranjo_score"] = score
    document["naranjo_category"] = None if score is None else naranjo_category(score).value
    return document


_APPRAISAL_FIELDS: Final = (
    "position",
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


def _appraisal(appraisal: Appraisal) -> dict[str, Any]:
    document = {field: plain_value(getattr(appraisal, field)) for field in _APPRAISAL_FIELDS}
    document["id"] = appraisal.id
    document["version"] = appraisal.version_id
    document["citation"] = _citation_ref(appraisal.citation)
    document["counts"] = [
        {"label": c.label, "n": c.n, "counts": c.counts} for c in appraisal.counts
    ]
    document["cases"] = [_case(case) for case in appraisal.cases]
    return document


_SPC_FIELDS: Final = (
    "section",
    "organ_class",
    "organ_class_text",
    "term",
    "frequency",
    "frequency_text",
    "text",
    "language",
    "note",
)


def _spc_statement(statement: SpcStatement) -> dict[str, Any]:
    document = {field: plain_value(getattr(statement, field)) for field in _SPC_FIELDS}
    document["id"] = statement.id
    document["products"] = [
        {"product": link.product.name, "spc_date": plain_value(link.spc_date)}
        for link in statement.products
    ]
    return document


def _search_runs(session: Session, dossier: Dossier) -> list[dict[str, Any]]:
    runs = session.scalars(
        sa.select(SearchRun)
        .join(SearchStrategy, SearchStrategy.id == SearchRun.strategy_id)
        .where(SearchStrategy.dossier_id == dossier.id)
        .options(selectinload(SearchRun.strategy))
        .order_by(SearchRun.run_date, SearchRun.id)
    )
    return [
        {
            "id": run.id,
            "strategy": {
                "id": run.strategy.id,
                "name": run.strategy.name,
                "version": run.strategy.version,
                "terms": run.strategy.terms,
            },
            "run_date": plain_value(run.run_date),
            "outcome": plain_value(run.outcome),
            "result_count": run.result_count,
            "query_sent": run.query_sent,
            "query_translation": run.query_translation,
        }
        for run in runs
    ]


def _dossier_part(dossier: Dossier) -> dict[str, Any]:
    pico = dossier.pico
    return {
        "reference": dossier.reference,
        "title": dossier.title,
        "version": dossier.version_id,
        "status": dossier.status.value,
        "substance": {"name": dossier.substance.name, "atc_code": dossier.substance.atc_code},
        "condition": {"name": dossier.condition.name, "synonyms": dossier.condition.synonyms},
        "conclusion": dossier.conclusion,
        "additional_remarks": dossier.additional_remarks,
        "pico": None
        if pico is None
        else {
            "population": pico.population,
            "intervention": pico.intervention,
            "comparison": pico.comparison,
            "outcome": pico.outcome,
        },
    }


def freeze_evidence(session: Session, dossier: Dossier) -> dict[str, Any]:
    """The dossier's evidence as it stands now, as plain JSON-ready data (reads only)."""
    appraisals = session.scalars(
        sa.select(Appraisal)
        .where(Appraisal.dossier_id == dossier.id)
        .options(
            selectinload(Appraisal.citation),
            selectinload(Appraisal.counts),
            selectinload(Appraisal.cases),
        )
        .order_by(Appraisal.position, Appraisal.id)
    )
    statements = session.scalars(
        sa.select(SpcStatement)
        .where(SpcStatement.substance_id == dossier.substance_id)
        .options(selectinload(SpcStatement.products).selectinload(SpcStatementProduct.product))
        .order_by(SpcStatement.position, SpcStatement.id)
    )
    return {
        "dossier": _dossier_part(dossier),
        "appraisals": [_appraisal(a) for a in appraisals],
        "spc_statements": [_spc_statement(s) for s in statements],
        "risk_factors": [
            {"text": f.text, "sources": [_citation_ref(c) for c in f.sources]}
            for f in dossier.risk_factors
        ],
        "search_runs": _search_runs(session, dossier),
    }
