"""The permission table: every service that checks a role, called by every role.

The expected table is written out here, on purpose apart from
``evidence.permissions``: a change to who may do what must change this test too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from evidence.dossier_files import parse_dossier_text
from evidence.errors import EvidenceError, PermissionDenied
from evidence.models import Appraisal, Case, Citation, Dossier, SearchStrategy
from evidence.models.vocabulary import (
    DossierStatus,
    Role,
    ScreeningMode,
    ScreeningOutcome,
    WhoUmcCategory,
)
from evidence.pubmed.xml_parser import parse_pubmed_xml
from evidence.services import (
    appraisals,
    audit_export,
    citation_imports,
    decisions,
    dossier_import,
    lifecycle,
    register,
    screening,
    screening_progress,
    screening_settings,
    search_runs,
    search_strategies,
    spc_checks,
    surveillance,
    users,
)
from evidence.services.audit import Actor
from evidence.services.reference_data import load_reference_dossiers, reference_dossier_files
from evidence.services.search_strategies import StrategyDraft

ADMIN, CHAIR, MEMBER, ANALYST, AUDITOR, OPERATOR = (
    "admin", "chair", "member", "analyst", "auditor", "operator",
)  # fmt: skip
EVERYONE = {ADMIN, CHAIR, MEMBER, ANALYST, AUDITOR, OPERATOR}
REVIEWERS = {ANALYST, MEMBER, CHAIR}

EXPECTED: dict[str, set[str]] = {
    "users.add_user": {ADMIN, OPERATOR},
    "users.change_password (someone else's)": {ADMIN, OPERATOR},
    "users.disable_user": {ADMIN, OPERATOR},
    "users.list_users": {ADMIN, OPERATOR},
    "dossier_import.import_dossier": {ADMIN, CHAIR, OPERATOR},
    "citation_imports.import_citation_records": {ANALYST, ADMIN, OPERATOR},
    "search_strategies.create_search_strategy": {ANALYST, OPERATOR},
    "search_strategies.revise_search_strategy": {ANALYST, OPERATOR},
    "search_runs.start_search_run": {ANALYST, OPERATOR},
    "screening_settings.configure_screening": {CHAIR, ANALYST},
    "screening_progress.screening_queue": REVIEWERS,
    "screening.screen_citation": REVIEWERS,
    "screening_progress.screening_conflicts": REVIEWERS,
    "screening.resolve_conflict": REVIEWERS,
    "screening_progress.screening_agreement": EVERYONE,
    "appraisals.appraise_citation": REVIEWERS,
    "appraisals.record_case": REVIEWERS,
    "appraisals.assess_who_umc": REVIEWERS,
    "decisions.record_decision": {CHAIR},
    "register.decision_history": EVERYONE,
    "register.register_as_of": EVERYONE,
    "lifecycle.change_dossier_status": {CHAIR},
    "lifecycle.update_dossier_text": {MEMBER, CHAIR},
    "lifecycle.set_re_search_interval": {MEMBER, CHAIR},
    "spc_checks.spc_timeline": EVERYONE,
    "spc_checks.spc_disagreements": EVERYONE,
    "surveillance.due_searches": {ANALYST, OPERATOR},
    "surveillance.surveillance_agenda": EVERYONE,
    "audit_export.export_audit_events": EVERYONE,
}

PASSWORD = "the same long password"
PUBMED1 = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "pubmed-xml"
PUBMED1 = PUBMED1 / "biopython-1.88" / "pubmed1.xml"
Call = Callable[[Session, Actor, dict[str, Any]], object]


def _paran(session: Session) -> Appraisal:
    return session.scalars(
        sa.select(Appraisal)
        .join(Dossier)
        .join(Citation, Citation.id == Appraisal.citation_id)
        .where(Dossier.reference == "7097", Citation.title.startswith("Venous and arterial"))
    ).one()


def _new_dossier_document() -> dict[str, Any]:
    item = next(f for f in reference_dossier_files() if f.name.startswith("iloprost"))
    document = parse_dossier_text(item.read_text("utf-8"), source=item.name)
    return {**document, "reference": "perm-test", "condition": {"name": "Testaandoening"}}


CALLS: dict[str, Call] = {
    "users.add_user": lambda s, a, w: users.add_user(
        s, username=f"new-{a.name}", display_name="New", role=Role.ANALYST, password=PASSWORD,
        actor=a),
    "users.change_password (someone else's)": lambda s, a, w: users.change_password(
        s, username="auditor" if a.name != "auditor" else "analyst", new_password=PASSWORD,
        actor=a),
    "users.disable_user": lambda s, a, w: users.disable_user(
        s, username="member" if a.name != "member" else "analyst", actor=a, reason=None),
    "users.list_users": lambda s, a, w: users.list_users(s, actor=a),
    "dossier_import.import_dossier": lambda s, a, w: dossier_import.import_dossier(
        s, document=_new_dossier_document(), actor=a),
    "citation_imports.import_citation_records": lambda s, a, w: (
        citation_imports.import_citation_records(
            s, records=parse_pubmed_xml(PUBMED1.read_bytes()), record_format="pubmed-xml",
            source="pubmed1.xml", actor=a)),
    "search_strategies.create_search_strategy": lambda s, a, w: (
        search_strategies.create_search_strategy(
            s, draft=StrategyDraft(name=f"new-{a.name}", terms="x"), actor=a)),
    "search_strategies.revise_search_strategy": lambda s, a, w: (
        search_strategies.revise_search_strategy(
            s, strategy_id=w["strategy_id"], draft=StrategyDraft(name="pubmed", terms="y"),
            actor=a)),
    "search_runs.start_search_run": lambda s, a, w: search_runs.start_search_run(
        s, strategy_id=w["strategy_id"], actor=a),
    "screening_settings.configure_screening": lambda s, a, w: (
        screening_settings.configure_screening(
            s, dossier_reference="7097", mode=ScreeningMode.DUAL,
            reasons=[("pop", "other population")], actor=a)),
    "screening_progress.screening_queue": lambda s, a, w: screening_progress.screening_queue(
        s, dossier_reference="7097", actor=a),
    "screening.screen_citation": lambda s, a, w: screening.screen_citation(
        s, dossier_reference="7097", citation_id=w["paran"], outcome=ScreeningOutcome.INCLUDED,
        actor=a),
    "screening_progress.screening_conflicts": lambda s, a, w: (
        screening_progress.screening_conflicts(s, dossier_reference="7097", actor=a)),
    "screening.resolve_conflict": lambda s, a, w: screening.resolve_conflict(
        s, dossier_reference="7097", citation_id=w["paran"], outcome=ScreeningOutcome.INCLUDED,
        actor=a),
    "screening_progress.screening_agreement": lambda s, a, w: (
        screening_progress.screening_agreement(s, dossier_reference="7097", actor=a)),
    "appraisals.appraise_citation": lambda s, a, w: appraisals.appraise_citation(
        s, dossier_reference="7097", citation_id=w["paran"],
        values=appraisals.AppraisalInput(evidence_score=2, score_basis="case reports"),
        expected_version=w["paran_version"], actor=a),
    "appraisals.record_case": lambda s, a, w: appraisals.record_case(
        s, dossier_reference="7097", citation_id=w["paran"], case=appraisals.CaseInput(),
        actor=a),
    "appraisals.assess_who_umc": lambda s, a, w: appraisals.assess_who_umc(
        s, case_id=w["case_id"], category=WhoUmcCategory.POSSIBLE, actor=a),
    "decisions.record_decision": lambda s, a, w: decisions.record_decision(
        s, dossier_reference="7097", contraindication=True, action_needed=True,
        decided_on=date(2020, 1, 1), rationale="still monitored", password=PASSWORD, actor=a),
    "register.decision_history": lambda s, a, w: register.decision_history(
        s, dossier_reference="7097", actor=a),
    "register.register_as_of": lambda s, a, w: register.register_as_of(
        s, day=date(2020, 1, 1), actor=a),
    "lifecycle.change_dossier_status": lambda s, a, w: lifecycle.change_dossier_status(
        s, dossier_reference="iloprost-hartfalen", new_status=DossierStatus.IN_REVIEW, actor=a,
        expected_version=None, reason=None),
    "lifecycle.update_dossier_text": lambda s, a, w: lifecycle.update_dossier_text(
        s, dossier_reference="iloprost-hartfalen", conclusion="x", expected_version=None,
        actor=a),
    "lifecycle.set_re_search_interval": lambda s, a, w: lifecycle.set_re_search_interval(
        s, dossier_reference="7097", days=180, expected_version=None, actor=a),
    "spc_checks.spc_timeline": lambda s, a, w: spc_checks.spc_timeline(
        s, dossier_reference="7097", actor=a),
    "spc_checks.spc_disagreements": lambda s, a, w: spc_checks.spc_disagreements(
        s, dossier_reference="7097", actor=a),
    "surveillance.due_searches": lambda s, a, w: surveillance.due_searches(
        s, today=date(2026, 1, 1), actor=a),
    "surveillance.surveillance_agenda": lambda s, a, w: surveillance.surveillance_agenda(
        s, actor=a),
    "audit_export.export_audit_events": lambda s, a, w: audit_export.export_audit_events(
        s, actor=a),
}  # fmt: skip


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> dict[str, Any]:
    operator = Actor("operator")
    found: dict[str, Any] = {"actors": {OPERATOR: operator}}
    with sessions.begin() as session:
        load_reference_dossiers(session, actor=operator)
        for role in Role:
            user = users.add_user(
                session, username=role.value, display_name=role.value, role=role,
                password=PASSWORD, actor=operator,
            )  # fmt: skip
            found["actors"][role.value] = Actor(role.value, role=role, user_id=user.id)
        paran = _paran(session)
        found["paran"], found["paran_version"] = paran.citation_id, paran.version_id
        found["strategy_id"] = session.scalars(
            sa.select(SearchStrategy.id).join(Dossier).where(Dossier.reference == "7097")
        ).one()
        found["case_id"] = session.scalars(
            sa.select(Case.id).where(Case.appraisal_id == paran.id).limit(1)
        ).one()
    return found


def _outcome(
    sessions: sessionmaker[Session], call: Call, actor: Actor, world: dict[str, Any]
) -> str:
    """ "refused" if the role check said no; "allowed" if the service went past it."""
    session = sessions()
    session.begin()
    try:
        call(session, actor, world)
    except PermissionDenied:
        return "refused"
    except EvidenceError:
        return "allowed"  # past the role check, stopped by the data (that is fine here)
    finally:
        session.rollback()
        session.close()
    return "allowed"


def test_every_service_for_every_role(
    sessions: sessionmaker[Session], world: dict[str, Any]
) -> None:
    actual = {
        service: {
            role
            for role, actor in world["actors"].items()
            if _outcome(sessions, call, actor, world) == "allowed"
        }
        for service, call in CALLS.items()
    }
    assert actual == EXPECTED


def test_a_refusal_says_who_and_what(
    sessions: sessionmaker[Session], world: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied) as refused, sessions.begin() as session:
        CALLS["decisions.record_decision"](session, world["actors"][AUDITOR], world)
    assert str(refused.value) == "auditor (auditor) may not sign decision"


def test_the_table_covers_every_service_that_checks_a_role() -> None:
    """A new service that calls ``require`` must be added to the table above."""
    services = Path(__file__).resolve().parents[2] / "evidence" / "services"
    checking = set()
    for path in services.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(call, ast.Call) and getattr(call.func, "id", None) == "require"
                for call in ast.walk(node)
            ):
                checking.add(f"{path.stem}.{node.name}")
    named = {name.split(" ")[0] for name in EXPECTED}
    assert checking == named
