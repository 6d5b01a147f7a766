"""Decisions: signed, superseded never edited, evidence frozen, the register by date.

Data is built through the services (reference dossiers, users); where no service
exists yet (an appraisal edit, a recorded search run) the ORM stands in for one.
Reference data: 7097 was decided yes/yes on 2019-11-14 (imported, not signed here)
and has a recorded search run; iloprost-hartfalen is a draft without conclusion,
search run or decision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from io import BytesIO
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from evidence.cli import cli
from evidence.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied
from evidence.models import (
    Appraisal,
    AuditEvent,
    Decision,
    DecisionSnapshot,
    Dossier,
    SearchRun,
)
from evidence.models.vocabulary import (
    DossierStatus,
    NaranjoAnswer,
    Role,
    SearchRunOutcome,
    Severity,
)
from evidence.services import decisions as decisions_service
from evidence.services.audit import Actor, verify_audit_trail
from evidence.services.decisions import current_decision, record_decision, verify_snapshot
from evidence.services.evidence_snapshot import freeze_evidence
from evidence.services.lifecycle import change_dossier_status, update_dossier_text
from evidence.services.reference_data import load_reference_dossiers
from evidence.services.register import decision_history, register_as_of
from evidence.services.users import add_user

OPERATOR = Actor("operator")
PASSWORD = "correct horse battery"
FIRST_DECIDED = date(2019, 11, 14)
TODAY = date(2025, 6, 1)
Sessions = sessionmaker[Session]


# ---------------------------------------------------------------- helpers (shared)


def load_reference(sessions: Sessions) -> None:
    with sessions.begin() as session:
        load_reference_dossiers(session, actor=OPERATOR)


def make_user(sessions: Sessions, username: str, role: Role, display_name: str = "") -> Actor:
    with sessions.begin() as session:
        user = add_user(
            session,
            username=username,
            display_name=display_name or username,
            role=role,
            password=PASSWORD,
            actor=OPERATOR,
        )
        return Actor(username, role=role, user_id=user.id)


def decide(session: Session, actor: Actor, reference: str = "7097", **changes: Any) -> Decision:
    """A valid decision with ``changes`` applied (the defaults supersede 7097's)."""
    arguments: dict[str, Any] = {
        "dossier_reference": reference,
        "contraindication": False,
        "action_needed": True,
        "decided_on": date(2021, 3, 1),
        "rationale": "New cohort data; keep warning, no longer a contra-indication.",
        "password": PASSWORD,
        "actor": actor,
        "today": TODAY,
    }
    return record_decision(session, **(arguments | changes))


def make_decidable(sessions: Sessions, chair: Actor, reference: str = "iloprost-hartfalen") -> None:
    """Give the iloprost draft what a decision needs: a conclusion, a run, review status."""
    with sessions.begin() as session:
        update_dossier_text(
            session,
            dossier_reference=reference,
            conclusion="Iloprost can worsen heart failure; the SPC contra-indicates it.",
            expected_version=None,
            actor=chair,
        )
    with sessions.begin() as session:
        add_recorded_run(session, reference)
        change_dossier_status(
            session,
            dossier_reference=reference,
            new_status=DossierStatus.IN_REVIEW,
            actor=chair,
            expected_version=None,
            reason="ready for the committee",
        )


def add_recorded_run(session: Session, reference: str) -> None:
    """A search documented elsewhere, as an import records it (no run service yet)."""
    dossier = session.scalar(sa.select(Dossier).where(Dossier.reference == reference))
    assert dossier is not None
    strategy = dossier.search_strategies[0]
    strategy.runs.append(
        SearchRun(run_date=date(2024, 5, 2), outcome=SearchRunOutcome.RECORDED, note="test")
    )
    session.flush()


def dossier_id(session: Session, reference: str) -> int:
    found = session.scalar(sa.select(Dossier.id).where(Dossier.reference == reference))
    assert found is not None
    return found


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def chair(sessions: Sessions) -> Actor:
    load_reference(sessions)
    return make_user(sessions, "anna", Role.CHAIR, "Anna Chair")


@pytest.fixture
def imported_id(sessions: Sessions, chair: Actor) -> int:
    """The id of 7097's imported decision of 2019-11-14."""
    with sessions.begin() as session:
        first = current_decision(session, dossier_id=dossier_id(session, "7097"))
        assert first is not None and first.decided_on == FIRST_DECIDED
        return first.id


# ---------------------------------------------------------------- superseding


def test_a_new_decision_supersedes_the_current_one(
    sessions: Sessions, chair: Actor, imported_id: int
) -> None:
    with sessions.begin() as session:
        second = decide(session, chair, severity=Severity.D, expected_current_id=imported_id)
        second_id = second.id
    with sessions.begin() as session:
        second = session.get_one(Decision, second_id)
        assert second.supersedes_id == imported_id
        assert second.signed_by is not None and second.signed_by.username == "anna"
        assert second.signature_meaning is not None
        assert second.signature_meaning.value == "approved"
        assert second.signed_at is not None
        assert second.decided_by == "werkgroep praktijkdeskundigen"  # taken over
        assert current_decision(session, dossier_id=second.dossier_id) == second
        assert second.dossier.status == DossierStatus.DECIDED
        history = decision_history(session, dossier_reference="7097", actor=chair)
    assert [(h.id, h.superseded_by_id, h.in_force) for h in history] == [
        (imported_id, second_id, False),
        (second_id, None, True),
    ]
    assert history[0].signer is None and history[0].snapshot_hash is None
    assert history[1].signer == "Anna Chair" and history[1].severity == "D"
    assert history[1].snapshot_hash is not None and len(history[1].snapshot_hash) == 64


def test_signing_is_audited_and_the_chain_holds(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        signed = decide(session, chair)
        signed_id, snapshot_hash = signed.id, signed.snapshot.content_hash  # type: ignore[union-attr]
    with sessions.begin() as session:
        events = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.in_(["sign", "decide"]))
        ).all()
        assert verify_audit_trail(session).intact
    sign, dossier_event = events
    assert (sign.entity_type, sign.entity_id, sign.actor) == ("decision", str(signed_id), "anna")
    assert sign.after is not None
    assert sign.after["snapshot_hash"] == snapshot_hash
    assert sign.after["contraindication"] is False and sign.after["action_needed"] is True
    assert sign.after["signed_by"]["username"] == "anna"
    assert dossier_event.entity_id == "7097"
    assert dossier_event.before == {"status": "decided", "version": 1}
    assert dossier_event.after == {"status": "decided", "version": 2, "decision_id": signed_id}


def test_stale_current_decision_is_a_conflict_naming_the_newer_one(
    sessions: Sessions, chair: Actor, imported_id: int
) -> None:
    other = make_user(sessions, "bert", Role.CHAIR, "Bert Chair")
    with sessions.begin() as session:
        first_writer = decide(session, chair, expected_current_id=imported_id)
        winner_id = first_writer.id
    with pytest.raises(Conflict) as refused, sessions.begin() as session:
        decide(session, other, contraindication=True, expected_current_id=imported_id)
    assert re.fullmatch(
        rf"dossier 7097 has a newer decision than the one you opened: decision {winner_id} "
        r"\(contra-indication no, action yes, dated 2021-03-01\) by Anna Chair at "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; reload and record your decision again",
        str(refused.value),
    )
    with sessions.begin() as session:
        history = decision_history(session, dossier_reference="7097", actor=chair)
    assert [h.id for h in history] == [imported_id, winner_id]
    assert history[1].contraindication is False  # the first writer's decision, intact


def test_racing_second_writer_is_stopped(
    sessions: Sessions, chair: Actor, imported_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sessions: the loser read the current decision before the winner committed.

    The loser's service is paused right after reading the current decision while the
    winner records and commits: then both supersede decision 1. PostgreSQL stops the
    loser at the unique supersedes_id; SQLite refuses its write outright. Either way
    the loser gets the Conflict, and only the winner's decision is stored.
    """
    other = make_user(sessions, "bert", Role.CHAIR, "Bert Chair")
    real_current = decisions_service.current_decision
    winner: dict[str, int] = {}

    def current_then_winner_commits(session: Session, *, dossier_id: int) -> Decision | None:
        seen = real_current(session, dossier_id=dossier_id)
        if "started" not in winner:
            winner["started"] = 1  # the winner's own reads go straight through
            with sessions.begin() as winner_session:
                winner["id"] = decide(winner_session, chair).id
        return seen

    loser = sessions()
    with loser.begin():
        monkeypatch.setattr(decisions_service, "current_decision", current_then_winner_commits)
        with pytest.raises(Conflict, match=r"has a newer decision than the one you opened") as lost:
            decide(loser, other, contraindication=True)
        monkeypatch.undo()
    loser.close()
    assert f"decision {winner['id']} (contra-indication no" in str(lost.value)
    postgres = loser.get_bind().dialect.name == "postgresql"
    cause = lost.value.__cause__
    if postgres:
        assert isinstance(cause, sa.exc.IntegrityError) and "supersedes_id" in str(cause)
    else:
        assert isinstance(cause, sa.exc.OperationalError)  # SQLITE_BUSY_SNAPSHOT
    with sessions.begin() as session:
        stored = session.scalars(sa.select(Decision).order_by(Decision.id)).all()
        assert [(d.id, d.supersedes_id) for d in stored] == [
            (imported_id, None),
            (winner["id"], imported_id),
        ]
        assert verify_audit_trail(session).intact


def test_the_database_refuses_two_decisions_superseding_one(
    sessions: Sessions, chair: Actor, imported_id: int
) -> None:
    with sessions.begin() as session:
        decide(session, chair)
    with pytest.raises(sa.exc.IntegrityError, match="supersedes_id"), sessions.begin() as session:
        session.add(
            Decision(
                dossier_id=dossier_id(session, "7097"),
                contraindication=True,
                action_needed=True,
                decided_on=date(2022, 1, 1),
                rationale="a second branch",
                decided_by="committee",
                supersedes_id=imported_id,
            )
        )


# ---------------------------------------------------------------- the register


def _register(sessions: Sessions, actor: Actor, day: date) -> dict[str, int | None]:
    with sessions.begin() as session:
        return {e.reference: e.decision_id for e in register_as_of(session, day=day, actor=actor)}


def test_register_as_of_past_dates(sessions: Sessions, chair: Actor, imported_id: int) -> None:
    with sessions.begin() as session:
        second_id = decide(session, chair, decided_on=date(2021, 3, 1)).id
    assert _register(sessions, chair, date(2019, 11, 13)) == {
        "7097": None,
        "iloprost-hartfalen": None,
    }
    assert _register(sessions, chair, FIRST_DECIDED)["7097"] == imported_id
    assert _register(sessions, chair, date(2020, 6, 1))["7097"] == imported_id
    assert _register(sessions, chair, date(2021, 3, 1))["7097"] == second_id
    assert _register(sessions, chair, TODAY)["7097"] == second_id


def test_register_entries_say_what_was_in_force(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        decide(session, chair, severity=Severity.C)
    with sessions.begin() as session:
        old, draft = register_as_of(session, day=date(2020, 1, 1), actor=chair)
        new, _ = register_as_of(session, day=TODAY, actor=chair)
    assert (old.reference, old.title, old.substance, old.condition) == (
        "7097",
        "Veneuze trombo-embolie: immunoglobuline, normaal",
        "immunoglobuline, normaal",
        "Veneuze trombo-embolie",
    )
    assert (old.contraindication, old.action_needed, old.warns, old.signer) == (
        True,
        True,
        True,
        None,
    )
    assert old.decided_on == FIRST_DECIDED and old.decided_by == "werkgroep praktijkdeskundigen"
    assert (new.contraindication, new.action_needed, new.severity) == (False, True, "C")
    assert (new.signer, new.signature_meaning) == ("Anna Chair", "approved")
    assert draft.reference == "iloprost-hartfalen" and draft.decision_id is None
    assert draft.warns is None


# ---------------------------------------------------------------- frozen evidence


def _set_naranjo(session: Session) -> None:
    """Answer the Naranjo questions of 7097's first case, so the snapshot has a score."""
    appraisal = session.scalars(
        sa.select(Appraisal)
        .where(Appraisal.dossier_id == dossier_id(session, "7097"), Appraisal.cases.any())
        .order_by(Appraisal.position)
    ).first()
    assert appraisal is not None
    case = appraisal.cases[0]
    for question in (1, 2, 3, 10):  # 1 + 2 + 1 + 1
        setattr(case, f"naranjo_{question}", NaranjoAnswer.YES)


def test_snapshot_is_unchanged_after_a_later_appraisal_edit(
    sessions: Sessions, chair: Actor
) -> None:
    with sessions.begin() as session:
        _set_naranjo(session)
    with sessions.begin() as session:
        signed = decide(session, chair)
        signed_id = signed.id
        assert signed.snapshot is not None
        frozen, frozen_hash = signed.snapshot.content, signed.snapshot.content_hash
    evidence = frozen["evidence"]
    assert [r["text"] for r in evidence["risk_factors"]][:2] == [
        "trombose in de familieanamnese",
        "trombofilie",
    ]
    assert evidence["search_runs"][0]["outcome"] == "recorded"
    assert {p["product"] for s in evidence["spc_statements"] for p in s["products"]} == {
        "GammaQuin",
        "Hizentra",
        "Flebogamma DIF",
    }
    scored = [c for a in evidence["appraisals"] for c in a["cases"] if c["naranjo_score"]]
    assert [(c["naranjo_score"], c["naranjo_category"]) for c in scored] == [(5, "probable")]
    assert evidence["dossier"]["conclusion"].startswith("De gevonden literatuur")
    assert frozen["decision"]["id"] == signed_id

    with sessions.begin() as session:
        appraisal = session.scalars(
            sa.select(Appraisal).where(Appraisal.dossier_id == dossier_id(session, "7097"))
        ).first()
        assert appraisal is not None
        frozen_appraisal = next(a for a in evidence["appraisals"] if a["id"] == appraisal.id)
        appraisal.results = "Re-read: the association is stronger than first judged."
        appraisal.evidence_score = 3
    with sessions.begin() as session:
        snapshot = session.scalars(
            sa.select(DecisionSnapshot).where(DecisionSnapshot.decision_id == signed_id)
        ).one()
        assert snapshot.content == frozen and snapshot.content_hash == frozen_hash
        assert verify_snapshot(session, decision_id=signed_id)
        now = freeze_evidence(session, session.get_one(Dossier, dossier_id(session, "7097")))
        edited = next(a for a in now["appraisals"] if a["id"] == frozen_appraisal["id"])
    assert edited["evidence_score"] == 3 and edited["version"] == frozen_appraisal["version"] + 1
    assert frozen_appraisal["results"] != edited["results"]


def test_the_database_refuses_to_alter_a_snapshot(sessions: Sessions, chair: Actor) -> None:
    with sessions.begin() as session:
        decide(session, chair)
    for statement in (
        "UPDATE decision_snapshot SET content_hash = 'x'",
        "DELETE FROM decision_snapshot",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="decision_snapshot is append-only"):
            with sessions.begin() as session:
                session.execute(sa.text(statement))


def test_an_altered_decision_no_longer_matches_its_snapshot(
    sessions: Sessions, chair: Actor
) -> None:
    with sessions.begin() as session:
        signed_id = decide(session, chair).id
    with sessions.begin() as session:
        session.execute(
            sa.update(Decision).where(Decision.id == signed_id).values(rationale="rewritten")
        )
    with sessions.begin() as session:
        assert verify_snapshot(session, decision_id=signed_id) is False


# ---------------------------------------------------------------- refusals


def _refused_write(sessions: Sessions, attempt: Callable[[Session], object]) -> Exception:
    """Run ``attempt`` and return what it raised; check that it wrote nothing."""
    with sessions.begin() as session:
        before = (
            session.scalar(sa.select(sa.func.count()).select_from(Decision)),
            session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
        )
    with pytest.raises(Exception) as refused, sessions.begin() as session:
        attempt(session)
    with sessions.begin() as session:
        after = (
            session.scalar(sa.select(sa.func.count()).select_from(Decision)),
            session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
        )
    assert after == before
    return refused.value


def test_wrong_password_is_refused(sessions: Sessions, chair: Actor) -> None:
    error = _refused_write(sessions, lambda s: decide(s, chair, password="not my password"))
    assert isinstance(error, AuthenticationFailed)
    assert str(error) == "the password does not match: not signed"


def test_only_a_chair_signs(sessions: Sessions, chair: Actor) -> None:
    member = make_user(sessions, "mia", Role.MEMBER)
    error = _refused_write(sessions, lambda s: decide(s, member))
    assert isinstance(error, PermissionDenied)
    assert str(error) == "mia (member) may not sign decision"
    error = _refused_write(sessions, lambda s: decide(s, OPERATOR))
    assert str(error) == "the operator operator may not sign decision"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"decided_on": date(2025, 6, 2)},
            "a decision cannot be dated in the future: 2025-06-02 is after today (2025-06-01)",
        ),
        ({"rationale": "  \n"}, "a decision needs a rationale: say why the committee decided so"),
        (
            {"decided_on": date(2019, 11, 13)},
            "a new decision cannot be dated before the decision it supersedes (2019-11-14)",
        ),
        (
            {"reference": "iloprost-hartfalen", "decided_on": date(2025, 1, 1)},
            "dossier iloprost-hartfalen has no conclusion: write it before recording a decision",
        ),
        (
            {"expected_current_id": 999},
            "decision 999 is not a decision of dossier 7097",
        ),
    ],
)
def test_refusals_say_why(
    sessions: Sessions, chair: Actor, changes: dict[str, Any], message: str
) -> None:
    error = _refused_write(sessions, lambda s: decide(s, chair, **changes))
    assert isinstance(error, InvalidInput)
    assert str(error) == message


def test_no_search_run_then_draft_are_refused(sessions: Sessions, chair: Actor) -> None:
    reference = "iloprost-hartfalen"
    with sessions.begin() as session:
        update_dossier_text(
            session,
            dossier_reference=reference,
            conclusion="Contra-indicated by the SPC.",
            expected_version=None,
            actor=chair,
        )
    error = _refused_write(sessions, lambda s: decide(s, chair, reference))
    assert str(error) == (
        "dossier iloprost-hartfalen has no search run: run (or record) its literature search "
        "before recording a decision"
    )
    with sessions.begin() as session:
        add_recorded_run(session, reference)
    error = _refused_write(sessions, lambda s: decide(s, chair, reference))
    assert str(error) == (
        "dossier iloprost-hartfalen is draft: put it in review before recording a decision"
    )


def test_a_failed_run_is_no_search(sessions: Sessions, chair: Actor) -> None:
    reference = "iloprost-hartfalen"
    make_decidable(sessions, chair, reference)
    with sessions.begin() as session:
        session.execute(sa.update(SearchRun).values(outcome=SearchRunOutcome.FAILED.value))
    error = _refused_write(sessions, lambda s: decide(s, chair, reference))
    assert "has no search run" in str(error)


def test_first_decision_from_review(sessions: Sessions, chair: Actor) -> None:
    reference = "iloprost-hartfalen"
    make_decidable(sessions, chair, reference)
    with sessions.begin() as session:
        signed = decide(session, chair, reference, contraindication=True, decided_by="")
        assert (signed.supersedes_id, signed.decided_by) == (None, "committee")
        assert signed.dossier.status == DossierStatus.DECIDED


# ---------------------------------------------------------------- the command line


def _cli(database_url: str, *args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, ["--db", database_url, *args], input=input)


def test_cli_record_history_and_register(
    database_url: str, chair: Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("EVIDENCE_USER", "anna")
    recorded = _cli(
        database_url,
        *("decision", "record", "7097", "--contraindication", "no", "--action", "yes"),
        *("--date", "2021-03-01", "--rationale", "cohort data", "--severity", "D"),
        *("--supersedes", "1", "--password-stdin"),
        input=PASSWORD + "\n",
    )
    assert recorded.exit_code == 0, recorded.output
    lines = recorded.stdout.splitlines()
    assert lines[0] == (
        "decision 2 on dossier 7097: contra-indication no, action yes, 2021-03-01; "
        "supersedes decision 1"
    )
    assert re.fullmatch(
        r"signed by Anna Chair at .* UTC \(approved\); evidence frozen, sha256 [0-9a-f]{64}",
        lines[1],
    )
    wrong = _cli(
        database_url,
        *("decision", "record", "7097", "--contraindication", "no", "--action", "no"),
        *("--date", "2021-03-02", "--rationale", "x", "--password-stdin"),
        input="wrong\n",
    )
    assert wrong.exit_code == 1
    assert wrong.stderr == "Error: the password does not match: not signed\n"

    history = _cli(database_url, "decision", "history", "7097")
    assert history.exit_code == 0
    rows = [line.split("\t") for line in history.stdout.splitlines() if "\t" in line]
    assert [(r[0], r[1], r[4]) for r in rows] == [
        ("1", "2019-11-14", "superseded by 2"),
        ("2", "2021-03-01", "in force"),
    ]
    assert rows[0][3] == "not signed here (decided by werkgroep praktijkdeskundigen)"
    assert _cli(database_url, "decision", "verify", "2").stdout == "decision 2: evidence intact\n"
    shown = _cli(database_url, "dossier", "show", "7097").stdout
    assert re.search(r"Ondertekend: Anna Chair \(approved, \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", shown)
    assert "Contra-indicatie: ja   Actie: ja   Datum: 14-11-2019   (vervangen" in shown

    monkeypatch.delenv("EVIDENCE_USER")
    csv_out = _cli(database_url, "export", "register", "--as-of", "2020-01-01")
    assert csv_out.exit_code == 0
    assert csv_out.stdout_bytes.startswith(b"\xef\xbb\xbfas_of,reference,title,")
    csv_lines = csv_out.stdout_bytes.decode("utf-8-sig").split("\r\n")
    assert csv_lines[1].startswith("2020-01-01,7097,")
    assert ",1,2019-11-14,yes,yes,yes," in csv_lines[1]
    assert csv_lines[2].startswith("2020-01-01,iloprost-hartfalen,")

    as_json = json.loads(_cli(database_url, "export", "register", "--format", "json").stdout)
    assert as_json["as_of"] == date.today().isoformat()
    assert [(d["reference"], d["decision_id"]) for d in as_json["dossiers"]] == [
        ("7097", 2),
        ("iloprost-hartfalen", None),
    ]
    assert as_json["dossiers"][0]["signed_by"] == "Anna Chair"

    refused = _cli(database_url, "export", "register", "--format", "xlsx")
    assert (refused.exit_code, refused.stderr) == (
        1,
        "Error: xlsx is a binary format: give -o FILE\n",
    )
    target = tmp_path / "register.xlsx"
    written = _cli(database_url, "export", "register", "--format", "xlsx", "-o", str(target))
    assert written.exit_code == 0
    assert written.stderr.startswith(f"wrote {target} (2 dossiers as of ")
    sheet = openpyxl.load_workbook(BytesIO(target.read_bytes()))["register"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("as_of", "reference", "title")
    assert values[1][1] == "7097" and values[1][5] == 2


def test_cli_refuses_a_non_chair_before_asking_a_password(
    database_url: str, sessions: Sessions, chair: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(sessions, "mia", Role.MEMBER)
    monkeypatch.setenv("EVIDENCE_USER", "mia")
    result = _cli(
        database_url,
        *("decision", "record", "7097", "--contraindication", "no", "--action", "no"),
        *("--date", "2021-03-02", "--rationale", "x"),
    )
    assert result.exit_code == 1
    assert result.stderr == "Error: mia (member) may not sign decision\n"
    assert "Password" not in result.stdout
