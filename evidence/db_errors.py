"""Say in words which rule the database enforced when it refused a change."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from evidence.errors import DatabaseRefused

CONSTRAINT_MESSAGES = {
    "uq_citation_pmid": "a citation with this PMID is already stored",
    "uq_citation_doi": "a citation with this DOI is already stored",
    "uq_appraisal_dossier_id": "this citation is already appraised in this dossier",
    "ck_appraisal_evidence_score_range": "an evidence score must be 0 to 4",
    "ck_spc_statement_section": "an SPC section must be 4.3, 4.4, 4.5, 4.6 or 4.8",
    "uq_dossier_reference": "a dossier with this reference already exists",
    "uq_dossier_substance_id": "a dossier for this substance and condition already exists",
}

_NAME = re.compile(r"\b((?:uq|ck|fk|pk)_[a-z0-9_]+)")
# SQLite names the columns of a failed UNIQUE, not the constraint.
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([a-z_]+)\.([a-z_0-9., ]+)")


def _constraint_name(text: str) -> str | None:
    sqlite_unique = _SQLITE_UNIQUE.search(text)
    if sqlite_unique:
        table = sqlite_unique.group(1)
        columns = [part.strip().split(".")[-1] for part in sqlite_unique.group(2).split(",")]
        return f"uq_{table}_{'_'.join(columns)}"
    match = _NAME.search(text)
    return match.group(1) if match else None


def database_refusal(error: IntegrityError) -> DatabaseRefused:
    """A readable ``DatabaseRefused`` naming the constraint that held."""
    text = str(error.orig)
    name = _constraint_name(text)
    for known, message in CONSTRAINT_MESSAGES.items():
        if name and name.startswith(known):
            return DatabaseRefused(f"refused by the database: {message} ({name})")
    first_line = text.splitlines()[0] if text else "integrity error"
    return DatabaseRefused(f"refused by the database: {first_line}")
