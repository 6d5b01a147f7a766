"""The dossier lifecycle and optimistic locking, on both databases."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from evidence.cli import cli
from evidence.errors import Conflict, InvalidInput, PermissionDenied
from evidence.models import AuditEvent, Dossier
from evidence.models.vocabulary import DossierStatus, Role
from evidence.services.audit import Actor
from evidence.services.lifecycle import (
    change_dossier_status,
    set_re_search_interval,
    update_dossier_text,
)
from tests.integration.test_decisions import decide, load_reference, make_decidable, make_user

Sessions = sessionmaker[Session]
ILOPROST = "iloprost-hartfalen"
WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


@pytest.fixture
def chair(sessions: Sessions) -> Actor:
    load_reference(sessions)
    return make_user(sessions, "anna", Role.CHAIR, "Anna Chair")


def _move(sessions: Sessions, actor: Actor, reference: str, status: DossierStatus) -> Dossier:
    with sessions.begin() as session:
        return change_dossier_status(
            session,
            dossier_reference=reference,
            new_status=status,
            actor=actor,
            expected_version=None,
            reason=f"to {status.value}",
        )


def _status(sessions: Sessions, reference: str) -> tuple[DossierStatus, int]:
    with sessions.begin() as session:
        dossier = session.scalars(sa.select(Dossier).where(Dossier.reference == reference)).one()
        return dossier.status, dossier.version_id


# ---------------------------------------------------------------- transitions


def test_the_whole_cycle(sessions: Sessions, chair: Actor) -> None:
    _move(sessions, chair, ILOPROST, DossierStatus.IN_REVIEW)
    _move(sessions, chair, ILOPROST, DossierStatus.DRAFT)
    make_decidable(sessions, chair, ILOPROST)  # conclusion, run, back in review
    assert _status(sessions, ILOPROST)[0] == DossierStatus.IN_REVIEW
    with sessions.begin() as session:
        decide(session, chair, ILOPROST, contraindication=True)
    assert _status(sessions, ILOPROST)[0] == DossierStatus.DECIDED
    _move(sessions, chair, ILOPROST, DossierStatus.RE_EVALUATION_DUE)
    moved = _move(sessions, chair, ILOPROST, DossierStatus.IN_REVIEW)
    assert moved.status == DossierStatus.IN_REVIEW
    with sessions.begin() as session:
        changes = session.execute(
            sa.select(AuditEvent.before, AuditEvent.after, AuditEvent.reason)
            .where(AuditEvent.entity_id == ILOPROST, AuditEvent.action == "change_status")
            .order_by(AuditEvent.id)
        ).all()
    assert [(b["status"], a["status"], r) for b, a, r in changes] == [
        ("draft", "in_review", "to in_review"),
        ("in_review", "draft", "to draft"),
        ("draft", "in_review", "ready for the committee"),
        ("decided", "re_evaluation_due", "to re_evaluation_due"),
        ("re_evaluation_due", "in_review", "to in_review"),
    ]
    assert all(a["version"] == b["version"] + 1 for b, a, _ in changes)


@pytest.mark.parametrize(
    ("reference", "prepare", "target", "message"),
    [
        (
            ILOPROST,
            [],
            DossierStatus.RE_EVALUATION_DUE,
            "dossier iloprost-hartfalen cannot go from draft to re_evaluation_due; "
            "from draft it can go to in_review",
        ),
        (
            ILOPROST,
            [DossierStatus.IN_REVIEW],
            DossierStatus.DECIDED,
            "dossier iloprost-hartfalen becomes decided only by recording a signed decision "
            "(evidence decision record iloprost-hartfalen), and only from in_review",
        ),
        (
            ILOPROST,
            [],
            DossierStatus.DECIDED,
            "dossier iloprost-hartfalen becomes decided only by recording a signed decision "
            "(evidence decision record iloprost-hartfalen), and only from in_review",
        ),
        ("7097", [], DossierStatus.DECIDED, "dossier 7097 is already decided"),
        (
            "7097",
            [],
            DossierStatus.IN_REVIEW,
            "dossier 7097 cannot go from decided to in_review; "
            "from decided it can go to re_evaluation_due",
        ),
        (
            "7097",
            [DossierStatus.RE_EVALUATION_DUE],
            DossierStatus.DRAFT,
            "dossier 7097 cannot go from re_evaluation_due to draft; "
            "from re_evaluation_due it can go to in_review",
        ),
    ],
)
def test_refused_transitions(
    sessions: Sessions,
    chair: Actor,
    reference: str,
    prepare: list[DossierStatus],
    target: DossierStatus,
    message: str,
) -> None:
    for status in prepare:
        _move(sessions, chair, reference, status)
    before = _status(sessions, reference)
    with pytest.raises(InvalidInput) as refused:
        _move(sessions, chair, reference, target)
    assert str(refused.value) == message
    assert _status(sessions, reference) == before


def test_only_a_chair_changes_the_status(sessions: Sessions, chair: Actor) -> None:
    member = make_user(sessions, "mia", Role.MEMBER)
    with pytest.raises(PermissionDenied) as refused:
        _move(sessions, member, ILOPROST, DossierStatus.IN_REVIEW)
    assert str(refused.value) == "mia (member) may not change dossier status"


# ---------------------------------------------------------------- text and interval


def test_update_text(sessions: Sessions, chair: Actor) -> None:
    member = make_user(sessions, "mia", Role.MEMBER)
    with sessions.begin() as session:
        changed = update_dossier_text(
            session,
            dossier_reference=ILOPROST,
            conclusion="  Worsens heart failure.  ",
            additional_remarks="Negative inotropy is not the mechanism.",
            expected_version=1,
            actor=member,
        )
        assert (changed.conclusion, changed.version_id) == ("Worsens heart failure.", 2)
    with sessions.begin() as session:  # the same text again: nothing to write
        same = update_dossier_text(
            session,
            dossier_reference=ILOPROST,
            conclusion="Worsens heart failure.",
            expected_version=2,
            actor=member,
        )
        assert same.version_id == 2
    with sessions.begin() as session:  # blank clears a field; None leaves the other
        cleared = update_dossier_text(
            session,
            dossier_reference=ILOPROST,
            additional_remarks="   ",
            expected_version=2,
            actor=member,
        )
        assert (cleared.conclusion, cleared.additional_remarks) == ("Worsens heart failure.", None)
    with sessions.begin() as session:
        events = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_id == ILOPROST, AuditEvent.action == "update")
            .order_by(AuditEvent.id)
        ).all()
    assert [(e.actor, e.before, e.after) for e in events] == [
        (
            "mia",
            {"conclusion": None, "additional_remarks": None, "version": 1},
            {
                "conclusion": "Worsens heart failure.",
                "additional_remarks": "Negative inotropy is not the mechanism.",
                "version": 2,
            },
        ),
        (
            "mia",
            {"additional_remarks": "Negative inotropy is not the mechanism.", "version": 2},
            {"additional_remarks": None, "version": 3},
        ),
    ]
    with pytest.raises(InvalidInput, match="nothing to change"), sessions.begin() as session:
        update_dossier_text(
            session, dossier_reference=ILOPROST, expected_version=None, actor=member
        )


def test_re_search_interval(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        dossier = session.scalars(sa.select(Dossier).where(Dossier.reference == "7097")).one()
        assert dossier.re_search_interval_days == 365  # one year unless set
        changed = set_re_search_interval(
            session, dossier_reference="7097", days=180, expected_version=1, actor=chair
        )
        assert (changed.re_search_interval_days, changed.version_id) == (180, 2)
    with pytest.raises(InvalidInput) as refused, sessions.begin() as session:
        set_re_search_interval(
            session, dossier_reference="7097", days=0, expected_version=None, actor=chair
        )
    assert str(refused.value) == "a re-search interval must be 1 to 3660 days, not 0"


# ---------------------------------------------------------------- optimistic locking


def _conclude(session: Session, actor: Actor, text: str, expected_version: int | None) -> None:
    update_dossier_text(
        session,
        dossier_reference=ILOPROST,
        conclusion=text,
        expected_version=expected_version,
        actor=actor,
    )


def test_second_writer_with_a_stale_version_gets_a_conflict(
    sessions: Sessions, chair: Actor
) -> None:
    """Both opened version 1; the first saves; the second is refused and told by whom."""
    bert = make_user(sessions, "bert", Role.MEMBER)
    with sessions.begin() as first:
        _conclude(first, chair, "First writer's conclusion.", expected_version=1)
    with pytest.raises(Conflict) as refused, sessions.begin() as second:
        _conclude(second, bert, "Second writer's conclusion.", expected_version=1)
    assert re.fullmatch(
        rf"dossier iloprost-hartfalen was changed by anna at {WHEN} since you opened it "
        r"\(version 2, you had 1\); reload and apply your change again",
        str(refused.value),
    )
    with sessions.begin() as session:
        dossier = session.scalars(sa.select(Dossier).where(Dossier.reference == ILOPROST)).one()
        assert (dossier.conclusion, dossier.version_id) == ("First writer's conclusion.", 2)


def test_writer_that_commits_between_read_and_write_is_detected(
    sessions: Sessions, chair: Actor
) -> None:
    """The second writer read the dossier before the first committed (no version given).

    PostgreSQL: the versioned UPDATE matches no row (StaleDataError). SQLite: the
    write of a transaction that read an older snapshot is refused. Both: the Conflict.
    """
    second = sessions()
    with second.begin():
        loaded = second.scalars(sa.select(Dossier).where(Dossier.reference == ILOPROST)).one()
        assert loaded.version_id == 1
        with sessions.begin() as first:
            _conclude(first, chair, "First writer's conclusion.", expected_version=1)
        with pytest.raises(Conflict) as refused:
            _move_in(second, chair, DossierStatus.IN_REVIEW)
    second.close()
    assert re.fullmatch(
        rf"dossier iloprost-hartfalen was changed by anna at {WHEN} since you opened it "
        r"\(version 2, you had 1\); reload and apply your change again",
        str(refused.value),
    )
    status, version = _status(sessions, ILOPROST)
    assert (status, version) == (DossierStatus.DRAFT, 2)
    with sessions.begin() as session:
        kept = session.scalar(sa.select(Dossier.conclusion).where(Dossier.reference == ILOPROST))
    assert kept == "First writer's conclusion."


def _move_in(session: Session, actor: Actor, status: DossierStatus) -> None:
    change_dossier_status(
        session,
        dossier_reference=ILOPROST,
        new_status=status,
        actor=actor,
        expected_version=None,
        reason=None,
    )


def test_status_change_with_a_stale_version(sessions: Sessions, chair: Actor) -> None:
    _move(sessions, chair, ILOPROST, DossierStatus.IN_REVIEW)
    with pytest.raises(Conflict, match=r"\(version 2, you had 1\)"), sessions.begin() as session:
        change_dossier_status(
            session,
            dossier_reference=ILOPROST,
            new_status=DossierStatus.DRAFT,
            actor=chair,
            expected_version=1,
            reason=None,
        )
    assert _status(sessions, ILOPROST) == (DossierStatus.IN_REVIEW, 2)


def test_cli_dossier_status(
    database_url: str, chair: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCE_USER", "anna")
    runner = CliRunner()
    moved = runner.invoke(
        cli, ["--db", database_url, "dossier-status", ILOPROST, "in_review", "--reason", "ready"]
    )
    assert (moved.exit_code, moved.stdout) == (
        0,
        "dossier iloprost-hartfalen: now in_review (version 2)\n",
    )
    stale = runner.invoke(
        cli,
        ["--db", database_url, "dossier-status", ILOPROST, "draft", "--expected-version", "1"],
    )
    assert stale.exit_code == 1
    assert stale.stderr.startswith("Error: dossier iloprost-hartfalen was changed by anna at ")
    refused = runner.invoke(cli, ["--db", database_url, "dossier-status", "7097", "in_review"])
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: dossier 7097 cannot go from decided to in_review; "
        "from decided it can go to re_evaluation_due\n"
    )
