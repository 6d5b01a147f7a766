"""Appraisal and causality services, and two writers editing the same appraisal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from evidence.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from evidence.models import Appraisal, Citation, Dossier
from evidence.models.vocabulary import (
    NaranjoAnswer,
    NaranjoCategory,
    Role,
    Sex,
    StudyDesign,
    WhoUmcCategory,
)
from evidence.services.appraisals import (
    AppraisalInput,
    CaseInput,
    CountInput,
    appraise_citation,
    assess_who_umc,
    record_case,
)
from evidence.services.audit import Actor
from evidence.services.reference_data import load_reference_dossiers
from evidence.services.users import add_user

OPERATOR = Actor("operator")


def _people(sessions: sessionmaker[Session]) -> dict[Role, Actor]:
    people = {}
    with sessions.begin() as session:
        load_reference_dossiers(session, actor=OPERATOR)
        for role in Role:
            user = add_user(
                session,
                username=role.value,
                display_name=role.value,
                role=role,
                password="a long enough password",
                actor=OPERATOR,
            )
            people[role] = Actor(user.username, role=role, user_id=user.id)
    return people


def _paran(session: Session) -> tuple[int, int]:
    """The citation id and version of Paran 2005's appraisal in dossier 7097."""
    appraisal = session.scalars(
        sa.select(Appraisal)
        .join(Dossier)
        .join(Citation, Citation.id == Appraisal.citation_id)
        .where(Dossier.reference == "7097", Citation.title.startswith("Venous and arterial"))
    ).one()
    return appraisal.citation_id, appraisal.version_id


NEW_VALUES = AppraisalInput(
    evidence_score=3,
    score_basis="re-read: controlled data on a surrogate end-point",
    study_design=StudyDesign.CASE_SERIES,
    results="two cases",
    counts=(CountInput(n=2, counts="patients", label="Casus"),),
)


def test_appraisal_is_updated_and_audited(sessions: sessionmaker[Session]) -> None:
    people = _people(sessions)
    with sessions.begin() as session:
        citation_id, version = _paran(session)
        appraisal = appraise_citation(
            session,
            dossier_reference="7097",
            citation_id=citation_id,
            values=NEW_VALUES,
            expected_version=version,
            actor=people[Role.ANALYST],
            reason="second reading",
        )
        assert appraisal.version_id == version + 1
        assert appraisal.appraised_by == "analyst"
        assert [(c.label, c.n) for c in appraisal.counts] == [("Casus", 2)]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (AppraisalInput(evidence_score=5, score_basis="x"), "an evidence score is 0 to 4, not 5"),
        (AppraisalInput(evidence_score=2), "say on what the evidence score is based"),
    ],
)
def test_bad_appraisals_are_refused(
    sessions: sessionmaker[Session], values: AppraisalInput, message: str
) -> None:
    people = _people(sessions)
    with pytest.raises(InvalidInput, match=message), sessions.begin() as session:
        citation_id, version = _paran(session)
        appraise_citation(
            session,
            dossier_reference="7097",
            citation_id=citation_id,
            values=values,
            expected_version=version,
            actor=people[Role.MEMBER],
        )


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_roles_that_may_not_appraise(sessions: sessionmaker[Session], role: Role) -> None:
    people = _people(sessions)
    with pytest.raises(PermissionDenied) as refused, sessions.begin() as session:
        citation_id, version = _paran(session)
        appraise_citation(
            session,
            dossier_reference="7097",
            citation_id=citation_id,
            values=NEW_VALUES,
            expected_version=version,
            actor=people[role],
        )
    assert str(refused.value) == f"{role.value} ({role.value}) may not appraise"


def test_unscreened_citation_cannot_be_appraised(sessions: sessionmaker[Session]) -> None:
    people = _people(sessions)
    with pytest.raises(NotFound, match="is not screened in dossier iloprost-hartfalen"):
        with sessions.begin() as session:
            citation_id, _ = _paran(session)
            appraise_citation(
                session,
                dossier_reference="iloprost-hartfalen",
                citation_id=citation_id,
                values=NEW_VALUES,
                expected_version=1,
                actor=people[Role.ANALYST],
            )


def test_second_writer_with_an_old_version_gets_a_conflict(
    sessions: sessionmaker[Session],
) -> None:
    """Both opened version 1; the first saves, the second is told and loses nothing."""
    people = _people(sessions)
    with sessions.begin() as session:
        citation_id, opened = _paran(session)
    with sessions.begin() as session:
        appraise_citation(
            session,
            dossier_reference="7097",
            citation_id=citation_id,
            values=NEW_VALUES,
            expected_version=opened,
            actor=people[Role.ANALYST],
        )
    other = AppraisalInput(evidence_score=1, score_basis="letter", results="other text")
    with pytest.raises(Conflict) as conflict, sessions.begin() as session:
        appraise_citation(
            session,
            dossier_reference="7097",
            citation_id=citation_id,
            values=other,
            expected_version=opened,
            actor=people[Role.MEMBER],
        )
    assert "changed by analyst at " in str(conflict.value)
    assert f"you had {opened}" in str(conflict.value)
    with sessions.begin() as session:
        stored = session.scalars(sa.select(Appraisal).where(Appraisal.citation_id == citation_id))
        kept = next(a for a in stored if a.dossier.reference == "7097")
        assert (kept.evidence_score, kept.results) == (3, "two cases")


def test_two_open_sessions_racing_on_one_appraisal(sessions: sessionmaker[Session]) -> None:
    """Both read before either writes; the later write is refused by the database's rules."""
    people = _people(sessions)
    first, second = sessions(), sessions()
    try:
        first.begin()
        second.begin()
        citation_id, version = _paran(first)
        assert _paran(second) == (citation_id, version)
        appraise_citation(
            first,
            dossier_reference="7097",
            citation_id=citation_id,
            values=NEW_VALUES,
            expected_version=version,
            actor=people[Role.ANALYST],
        )
        first.commit()
        other = AppraisalInput(evidence_score=1, score_basis="letter", results="lost?")
        with pytest.raises(Conflict, match="reload and apply your change again"):
            appraise_citation(
                second,
                dossier_reference="7097",
                citation_id=citation_id,
                values=other,
                expected_version=version,
                actor=people[Role.MEMBER],
            )
        second.rollback()
    finally:
        first.close()
        second.close()
    with sessions.begin() as session:
        kept = session.scalars(
            sa.select(Appraisal)
            .join(Dossier)
            .where(Dossier.reference == "7097", Appraisal.citation_id == citation_id)
        ).one()
        assert (kept.evidence_score, kept.results, kept.version_id) == (3, "two cases", version + 1)


def test_case_with_naranjo_answers_and_who_umc(sessions: sessionmaker[Session]) -> None:
    people = _people(sessions)
    answers = [NaranjoAnswer.UNKNOWN] * 10
    for question in (2, 3, 10):
        answers[question - 1] = NaranjoAnswer.YES
    answers[4] = NaranjoAnswer.NO
    with sessions.begin() as session:
        citation_id, _ = _paran(session)
        result = record_case(
            session,
            dossier_reference="7097",
            citation_id=citation_id,
            case=CaseInput(label="Casus 3", sex=Sex.FEMALE, age_years=50, naranjo_answers=answers),
            actor=people[Role.MEMBER],
        )
        assert (result.naranjo_score, result.naranjo_category) == (6, NaranjoCategory.PROBABLE)
        case = assess_who_umc(
            session,
            case_id=result.case_id,
            category=WhoUmcCategory.PROBABLE,
            actor=people[Role.CHAIR],
        )
        assert (case.who_umc_category, case.who_umc_assessor) == (WhoUmcCategory.PROBABLE, "chair")
        assert case.who_umc_assessed_on is not None


def test_reported_naranjo_needs_its_source(sessions: sessionmaker[Session]) -> None:
    people = _people(sessions)
    with pytest.raises(InvalidInput, match="needs its source"), sessions.begin() as session:
        citation_id, _ = _paran(session)
        record_case(
            session,
            dossier_reference="7097",
            citation_id=citation_id,
            case=CaseInput(naranjo_reported_category=NaranjoCategory.PROBABLE),
            actor=people[Role.ANALYST],
        )


def test_cli_appraisal_and_cases(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.cli_runs import run

    assert run(database_url, "demo").exit_code == 0
    from evidence.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    with make_session_factory(engine).begin() as session:
        citation_id, version = _paran(session)
    engine.dispose()
    monkeypatch.setenv("EVIDENCE_USER", "analyst")
    saved = run(
        database_url,
        "appraisal",
        "set",
        "7097",
        str(citation_id),
        "--score",
        "2",
        "--basis",
        "documented cases",
        "--design",
        "case_series",
        "--count",
        "Casus:2:patients with earlier VTE",
        "--version",
        str(version),
    )
    assert saved.output == f"appraisal of citation {citation_id} saved, version {version + 1}\n"
    stale = run(
        database_url,
        "appraisal",
        "set",
        "7097",
        str(citation_id),
        "--score",
        "1",
        "--basis",
        "x",
        "--version",
        str(version),
    )
    assert stale.exit_code == 1 and "reload and apply your change again" in stale.output

    added = run(
        database_url,
        "case",
        "add",
        "7097",
        str(citation_id),
        "--sex",
        "female",
        "--age",
        "41",
        "--naranjo",
        "?yy?n????y",
    )
    assert added.exit_code == 0, added.output
    assert added.output.endswith("Naranjo 6 (probable)\n")
    case_id = added.output.split()[1]
    monkeypatch.setenv("EVIDENCE_USER", "chair")
    assessed = run(database_url, "case", "who-umc", case_id, "--category", "possible")
    assert assessed.output == f"case {case_id}: possible, assessed by chair\n"
    monkeypatch.setenv("EVIDENCE_USER", "auditor")
    refused = run(database_url, "case", "who-umc", case_id, "--category", "certain")
    assert refused.output == "Error: auditor (auditor) may not assess causality\n"
    bad = run(database_url, "case", "add", "7097", str(citation_id), "--naranjo", "yyy")
    assert bad.output.startswith("Error: --naranjo needs ten answers")
