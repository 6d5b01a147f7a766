"""The database itself refuses bad rows (raw inserts, no ORM), and says so readably."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from evidence.db_errors import database_refusal


def _insert(connection: Connection, table: str, **values: object) -> int:
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    statement = sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id")
    return int(connection.execute(statement, values).scalar_one())


def _dossier(connection: Connection) -> int:
    substance = _insert(connection, "substance", name="iloprost", synonyms="[]")
    condition = _insert(connection, "condition", name="Hartfalen", synonyms="[]")
    return _insert(
        connection,
        "dossier",
        reference="0042",
        title="Hartfalen: iloprost",
        language="nl",
        substance_id=substance,
        condition_id=condition,
        status="draft",
        created_at="2026-01-01 00:00:00",
        updated_at="2026-01-01 00:00:00",
    )


def _citation(connection: Connection, **values: object) -> int:
    row = {
        "title": "A title.",
        "created_at": "2026-01-01 00:00:00",
        "updated_at": "2026-01-01 00:00:00",
        "author_list_complete": True,
    } | values
    return _insert(connection, "citation", **row)


def _appraisal(connection: Connection, dossier: int, citation: int, **values: object) -> int:
    row = {
        "dossier_id": dossier,
        "citation_id": citation,
        "position": 0,
        "screening": "included",
    } | values
    return _insert(connection, "appraisal", **row)


def _refused(engine: Engine, build: object) -> str:
    """Run ``build`` in a transaction that must fail; return the readable refusal."""
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as connection:
        build(connection)  # type: ignore[operator]
    message = str(database_refusal(caught.value))
    assert "\n" not in message
    return message


def test_duplicate_pmid(engine: Engine) -> None:
    def build(connection: Connection) -> None:
        _citation(connection, pmid="15479982")
        _citation(connection, pmid="15479982")

    assert _refused(engine, build) == (
        "refused by the database: a citation with this PMID is already stored (uq_citation_pmid)"
    )


def test_duplicate_doi_but_several_without_doi(engine: Engine) -> None:
    with engine.begin() as connection:
        _citation(connection, doi=None)
        _citation(connection, doi=None)

    def build(connection: Connection) -> None:
        _citation(connection, doi="10.1159/000081465")
        _citation(connection, doi="10.1159/000081465")

    assert "(uq_citation_doi)" in _refused(engine, build)


def test_evidence_score_of_five(engine: Engine) -> None:
    with engine.begin() as connection:
        dossier, citation = _dossier(connection), _citation(connection)

    def build(connection: Connection) -> None:
        _appraisal(connection, dossier, citation, evidence_score=5)

    assert _refused(engine, build) == (
        "refused by the database: an evidence score must be 0 to 4 "
        "(ck_appraisal_evidence_score_range)"
    )


@pytest.mark.parametrize("score", [0, 4, None])
def test_evidence_scores_in_range_are_accepted(engine: Engine, score: int | None) -> None:
    with engine.begin() as connection:
        dossier, citation = _dossier(connection), _citation(connection)
        _appraisal(connection, dossier, citation, evidence_score=score)


def test_unknown_spc_section(engine: Engine) -> None:
    with engine.begin() as connection:
        substance = _insert(connection, "substance", name="iloprost", synonyms="[]")

    def build(connection: Connection) -> None:
        _insert(
            connection,
            "spc_statement",
            substance_id=substance,
            position=0,
            section="4.7",
            text="Effects on driving.",
            language="en",
        )

    assert _refused(engine, build) == (
        "refused by the database: an SPC section must be 4.3, 4.4, 4.5, 4.6 or 4.8 "
        "(ck_spc_statement_section)"
    )


def test_appraisal_twice_for_one_dossier_and_citation(engine: Engine) -> None:
    with engine.begin() as connection:
        dossier, citation = _dossier(connection), _citation(connection)
        _appraisal(connection, dossier, citation)

    def build(connection: Connection) -> None:
        _appraisal(connection, dossier, citation, position=1, screening="other")

    assert _refused(engine, build) == (
        "refused by the database: this citation is already appraised in this dossier "
        "(uq_appraisal_dossier_id_citation_id)"
    )


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("appraisal", "screening", "maybe"),
        ("appraisal", "study_design", "anecdote"),
        ("dossier", "status", "archived"),
    ],
)
def test_enumerations_are_checked(engine: Engine, table: str, column: str, value: str) -> None:
    with engine.begin() as connection:
        dossier, citation = _dossier(connection), _citation(connection)
        appraisal = _appraisal(connection, dossier, citation)
    row_id = appraisal if table == "appraisal" else dossier

    def build(connection: Connection) -> None:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
            {"value": value, "id": row_id},
        )

    assert f"ck_{table}_{column}" in _refused(engine, build)


def test_appraised_citation_cannot_be_deleted(engine: Engine) -> None:
    with engine.begin() as connection:
        dossier, citation = _dossier(connection), _citation(connection)
        _appraisal(connection, dossier, citation)

    def build(connection: Connection) -> None:
        connection.execute(sa.text("DELETE FROM citation WHERE id = :id"), {"id": citation})

    assert "refused by the database" in _refused(engine, build)


def test_citation_parts_go_with_the_citation(engine: Engine) -> None:
    with engine.begin() as connection:
        citation = _citation(connection)
        _insert(
            connection,
            "citation_author",
            citation_id=citation,
            position=0,
            last_name="Vucic",
            initials="S",
        )
        connection.execute(sa.text("DELETE FROM citation WHERE id = :id"), {"id": citation})
        left = connection.execute(sa.text("SELECT count(*) FROM citation_author")).scalar()
    assert left == 0
