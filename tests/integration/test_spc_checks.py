"""SPC timelines and their disagreements with the decision, on the reference dossiers.

The cases are constructed: SPC revisions and synonyms are added through the ORM
(no SPC service yet), decisions through ``record_decision``.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from evidence.cli import cli
from evidence.models import Condition, Product, SpcStatement, SpcStatementProduct, Substance
from evidence.models.vocabulary import OrganClass, Role, SpcSection
from evidence.services.audit import Actor
from evidence.services.spc_checks import (
    CONTRAINDICATED_IN_SPC,
    NOT_IN_CURRENT_SPC,
    SPC_NEWER_THAN_DECISION,
    Disagreement,
    condition_pattern,
    spc_disagreements,
    spc_timeline,
)
from tests.integration.test_decisions import decide, load_reference, make_decidable, make_user

Sessions = sessionmaker[Session]
ILOPROST = "iloprost-hartfalen"


@pytest.fixture
def chair(sessions: Sessions) -> Actor:
    load_reference(sessions)
    return make_user(sessions, "anna", Role.CHAIR, "Anna Chair")


def _disagreements(sessions: Sessions, actor: Actor, reference: str) -> list[Disagreement]:
    with sessions.begin() as session:
        return spc_disagreements(session, dossier_reference=reference, actor=actor)


def _add_revision(session: Session, product: str, spc_date: date, term: str, text: str) -> None:
    """A new SPC revision of ``product``: one 4.4 statement dated ``spc_date``."""
    found = session.scalars(sa.select(Product).where(Product.name == product)).one()
    last = session.scalar(
        sa.select(sa.func.max(SpcStatement.position)).where(
            SpcStatement.substance_id == found.substance_id
        )
    )
    statement = SpcStatement(
        substance_id=found.substance_id,
        position=(last or 0) + 1,
        section=SpcSection.WARNINGS,
        organ_class=OrganClass.VASCULAR,
        term=term,
        text=text,
        language="nl",
    )
    statement.products.append(SpcStatementProduct(product=found, position=0, spc_date=spc_date))
    session.add(statement)


def _add_synonym(session: Session, condition: str, synonym: str) -> None:
    found = session.scalars(sa.select(Condition).where(Condition.name == condition)).one()
    found.synonyms = [*found.synonyms, synonym]


# ---------------------------------------------------------------- timeline


def test_timeline_of_7097(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        _add_revision(
            session,
            "GammaQuin",
            date(2020, 5, 1),
            "veneuze trombo-embolie",
            "Voorzichtig bij patiënten met veneuze trombo-embolie in de voorgeschiedenis.",
        )
    with sessions.begin() as session:
        timeline = spc_timeline(session, dossier_reference="7097", actor=chair)
    assert [(e.product, e.spc_date, len(e.statements), e.current) for e in timeline] == [
        ("Flebogamma DIF", date(2019, 1, 23), 2, True),
        ("GammaQuin", date(2016, 8, 30), 1, False),
        ("GammaQuin", date(2020, 5, 1), 1, True),
        ("Hizentra", date(2018, 4, 30), 1, True),
    ]
    assert [s.section for s in timeline[0].statements] == ["4.4", "4.8"]
    assert timeline[0].statements[1].frequency == "very_rare"
    # One statement printed by two products appears in each product's revision.
    assert timeline[1].statements[0].statement_id == timeline[3].statements[0].statement_id


def test_timeline_of_undated_spc(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        (entry,) = spc_timeline(session, dossier_reference=ILOPROST, actor=chair)
    assert (entry.product, entry.spc_date, entry.current) == ("Ilomedine", None, True)
    assert {s.section for s in entry.statements} == {"4.3", "4.5", "4.6", "4.8"}


# ---------------------------------------------------------------- disagreements


def test_no_decision_no_disagreement(sessions: Sessions, chair: Actor) -> None:
    assert _disagreements(sessions, chair, ILOPROST) == []


def test_decision_no_while_the_spc_contraindicates(sessions: Sessions, chair: Actor) -> None:
    """Ilomedine's 4.3 names heart failure; the committee says no contra-indication."""
    make_decidable(sessions, chair, ILOPROST)
    with sessions.begin() as session:
        decide(
            session,
            chair,
            ILOPROST,
            contraindication=False,
            action_needed=False,
            decided_on=date(2025, 2, 1),
        )
    (found,) = _disagreements(sessions, chair, ILOPROST)
    assert (found.kind, found.product, found.spc_date) == (
        CONTRAINDICATED_IN_SPC,
        "Ilomedine",
        None,
    )
    assert found.message == (
        "Ilomedine's SPC (undated) lists Hartfalen under 4.3 contra-indications "
        "('congestive heart failure (NYHA II–IV)'), but the decision of 2025-02-01 "
        "(contra-indication no, action no) says it is no contra-indication"
    )


def test_decision_yes_agrees_with_the_spc(sessions: Sessions, chair: Actor) -> None:
    make_decidable(sessions, chair, ILOPROST)
    with sessions.begin() as session:
        decide(session, chair, ILOPROST, contraindication=True, decided_on=date(2025, 2, 1))
    assert _disagreements(sessions, chair, ILOPROST) == []


def test_yes_yes_but_no_current_spc_mentions_the_condition(
    sessions: Sessions, chair: Actor
) -> None:
    """7097 as shipped: its SPCs speak of "veneuze trombo-embolische voorvallen" and
    "diepe veneuze trombose", never of "veneuze trombo-embolie" or its synonym."""
    (found,) = _disagreements(sessions, chair, "7097")
    assert (found.kind, found.product, found.spc_date) == (NOT_IN_CURRENT_SPC, None, None)
    assert found.message == (
        "the decision of 2019-11-14 (contra-indication yes, action yes) makes Veneuze "
        "trombo-embolie a contra-indication that warns, but no current SPC of the substance "
        "mentions it (current SPCs: Flebogamma DIF (2019-01-23), GammaQuin (2016-08-30), "
        "Hizentra (2018-04-30))"
    )
    with sessions.begin() as session:  # a synonym the SPCs use settles it
        _add_synonym(session, "Veneuze trombo-embolie", "diepe veneuze trombose")
    assert _disagreements(sessions, chair, "7097") == []


def test_spc_revised_after_the_decision(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        _add_synonym(session, "Veneuze trombo-embolie", "diepe veneuze trombose")
        _add_revision(
            session,
            "GammaQuin",
            date(2020, 5, 1),
            "trombose",
            "Diepe veneuze trombose is gemeld; zorg voor voldoende hydratatie.",
        )
    (found,) = _disagreements(sessions, chair, "7097")
    assert (found.kind, found.product, found.spc_date) == (
        SPC_NEWER_THAN_DECISION,
        "GammaQuin",
        date(2020, 5, 1),
    )
    assert found.message == (
        "GammaQuin's SPC was revised on 2020-05-01, after the decision of 2019-11-14 "
        "(contra-indication yes, action yes): review the decision against it"
    )
    with sessions.begin() as session:  # a decision taken after the revision settles it
        decide(session, chair, contraindication=True, decided_on=date(2020, 6, 1))
    assert _disagreements(sessions, chair, "7097") == []


def test_only_the_current_revision_counts(sessions: Sessions, chair: Actor) -> None:
    """An older Hizentra revision names VTE; its current one does not: still none does."""
    with sessions.begin() as session:
        _add_revision(
            session,
            "Hizentra",
            date(2017, 1, 1),
            "veneuze trombo-embolie",
            "Veneuze trombo-embolie is gemeld.",
        )
    kinds = [d.kind for d in _disagreements(sessions, chair, "7097")]
    assert kinds == [NOT_IN_CURRENT_SPC]  # Hizentra's current revision is of 2018-04-30


def test_all_three_kinds_together(sessions: Sessions, chair: Actor) -> None:
    """The reference 7097 plus one late revision: not mentioned, and revised since."""
    with sessions.begin() as session:
        _add_revision(session, "Hizentra", date(2022, 2, 2), "hydratatie", "Zorg voor hydratatie.")
    found = _disagreements(sessions, chair, "7097")
    assert [(d.kind, d.product) for d in found] == [
        (NOT_IN_CURRENT_SPC, None),
        (SPC_NEWER_THAN_DECISION, "Hizentra"),
    ]


# ---------------------------------------------------------------- matching


def _matches(names: list[str], text: str) -> bool:
    condition = Condition(name=names[0], synonyms=names[1:])
    return condition_pattern(condition).search(text) is not None


@pytest.mark.parametrize(
    ("names", "text", "expected"),
    [
        (["Hartfalen", "heart failure"], "acute or chronic congestive HEART FAILURE", True),
        (["Hartfalen", "heart failure"], "bij hartfalen", True),
        (["Veneuze trombo-embolie", "VTE"], "a history of VTE", True),
        (["Veneuze trombo-embolie", "VTE"], "VTEs were reported", True),  # plural
        (["Veneuze trombo-embolie", "VTE"], "PREVTEST", False),  # not inside a word
        (["Veneuze trombo-embolie"], "veneuze trombo-embolische voorvallen", False),
    ],
)
def test_condition_pattern(names: list[str], text: str, expected: bool) -> None:
    assert _matches(names, text) is expected


# ---------------------------------------------------------------- command line


def test_cli_spc_timeline_and_check(database_url: str, chair: Actor) -> None:
    runner = CliRunner()
    timeline = runner.invoke(cli, ["--db", database_url, "spc", "timeline", "7097"])
    assert timeline.exit_code == 0
    assert timeline.stdout.splitlines()[:4] == [
        "Flebogamma DIF",
        "  2019-01-23 (current)",
        "    4.4\ttrombo-embolische incidenten",
        "    4.8\ttrombo-embolische reacties zoals longembolie en diepe veneuze trombose",
    ]
    check = runner.invoke(cli, ["--db", database_url, "spc", "check", "7097"])
    assert check.exit_code == 1
    assert check.stdout.startswith(f"{NOT_IN_CURRENT_SPC}\t-\t-\tthe decision of 2019-11-14")
    clean = runner.invoke(cli, ["--db", database_url, "spc", "check", ILOPROST])
    assert (clean.exit_code, clean.stdout) == (0, "no disagreements\n")


def test_substance_without_products_has_an_empty_timeline(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        substance = session.scalars(sa.select(Substance).where(Substance.name == "iloprost")).one()
        session.execute(sa.delete(SpcStatement).where(SpcStatement.substance_id == substance.id))
    with sessions.begin() as session:
        assert spc_timeline(session, dossier_reference=ILOPROST, actor=chair) == []
