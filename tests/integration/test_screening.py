"""Screening on both databases: single and dual mode, conflicts, the queue, kappa, the CLI."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from evidence.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from evidence.models import (
    Appraisal,
    AuditEvent,
    Citation,
    Dossier,
    ScreeningResolution,
    SearchHit,
    SearchRun,
    SearchStrategy,
)
from evidence.models.vocabulary import Role, ScreeningMode, ScreeningOutcome, SearchRunOutcome
from evidence.services.audit import Actor
from evidence.services.reference_data import load_reference_dossiers
from evidence.services.screening import ScreeningState, resolve_conflict, screen_citation
from evidence.services.screening_progress import (
    QueueItem,
    screening_agreement,
    screening_conflicts,
    screening_queue,
)
from evidence.services.screening_settings import configure_screening
from evidence.services.users import add_user
from tests.integration.cli_runs import run

PUBMED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "pubmed-xml"
FILES = [PUBMED / "biopython-1.88" / "pubmed1.xml", PUBMED / "biopython-1.88" / "pubmed2.xml"]
PMIDS = ("12091962", "9997", "11700088", "11748933")
REF = "7097"
REASONS = [("pop", "Wrong population"), ("design", "No original data")]
# Roles as the committee uses them: two screeners, a chair who resolves, and two
# roles that may not screen at all.
USERS = {
    "alice": Role.ANALYST,
    "bob": Role.MEMBER,
    "carol": Role.CHAIR,
    "audrey": Role.AUDITOR,
    "adam": Role.ADMIN,
}
INC, OTH, EXC = ScreeningOutcome.INCLUDED, ScreeningOutcome.OTHER, ScreeningOutcome.EXCLUDED
T = TypeVar("T")


@dataclass(frozen=True)
class World:
    sessions: sessionmaker[Session]
    actors: dict[str, Actor]
    citation: dict[str, int]  # PMID -> citation id

    def do(self, service: Callable[..., T], **kwargs: Any) -> T:
        """One use case in one transaction, as an interface would run it."""
        with self.sessions.begin() as session:
            return service(session, **kwargs)

    def vote(
        self, who: str, pmid: str, outcome: ScreeningOutcome, reason: str | None = None, **kw: Any
    ) -> Any:
        return self.do(
            screen_citation,
            dossier_reference=REF,
            citation_id=self.citation[pmid],
            outcome=outcome,
            reason_code=reason,
            actor=self.actors[who],
            **kw,
        )

    def queue(self, who: str) -> list[QueueItem]:
        return self.do(screening_queue, dossier_reference=REF, actor=self.actors[who])

    def queued_pmids(self, who: str) -> list[str | None]:
        return [item.pmid for item in self.queue(who)]

    def configure(self, mode: ScreeningMode, reasons: Sequence[tuple[str, str]] = REASONS) -> Any:
        return self.do(
            configure_screening,
            dossier_reference=REF,
            mode=mode,
            reasons=reasons,
            actor=self.actors["carol"],
        )

    def add_run(self, run_date: date, hits: Sequence[tuple[str, bool]]) -> int:
        """A completed run of the dossier's strategy that found ``(pmid, is_new)`` in order.

        Written through the ORM: the harvester that normally writes runs needs PubMed.
        """
        with self.sessions.begin() as session:
            dossier_id = session.scalar(sa.select(Dossier.id).where(Dossier.reference == REF))
            strategy = session.scalar(
                sa.select(SearchStrategy).where(
                    SearchStrategy.dossier_id == dossier_id, SearchStrategy.name == "screening"
                )
            ) or SearchStrategy(dossier_id=dossier_id, name="screening", terms="ivig thrombosis")
            found = SearchRun(
                strategy=strategy,
                run_date=run_date,
                outcome=SearchRunOutcome.COMPLETED,
                hits=[
                    SearchHit(rank=rank, pmid=pmid, citation_id=self.citation[pmid], is_new=new)
                    for rank, (pmid, new) in enumerate(hits, start=1)
                ],
            )
            session.add(found)
            session.flush()
            return found.id

    def appraisal(self, pmid: str) -> Appraisal | None:
        with self.sessions.begin() as session:
            return session.scalar(
                sa.select(Appraisal)
                .join(Dossier)
                .where(Dossier.reference == REF, Appraisal.citation_id == self.citation[pmid])
            )

    def events(self, entity_type: str) -> list[AuditEvent]:
        with self.sessions.begin() as session:
            query = sa.select(AuditEvent).where(AuditEvent.entity_type == entity_type)
            return list(session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def world(database_url: str, sessions: sessionmaker[Session]) -> World:
    imported = run(database_url, "import", "pubmed-xml", *map(str, FILES))
    assert imported.exit_code == 0, imported.output
    operator = Actor("operator")
    with sessions.begin() as session:
        load_reference_dossiers(session, actor=operator)
        actors = {}
        for name, role in USERS.items():
            user = add_user(
                session,
                username=name,
                display_name=name.title(),
                role=role,
                password="a long enough password",
                actor=operator,
            )
            actors[name] = Actor(name, "test", role=role, user_id=user.id)
        rows = session.execute(
            sa.select(Citation.pmid, Citation.id).where(Citation.pmid.in_(PMIDS))
        )
        citation = {row.pmid: row.id for row in rows}
    assert sorted(citation) == sorted(PMIDS)
    return World(sessions, actors, citation)


@pytest.fixture
def searched(world: World) -> World:
    """One run that found all four citations, all new."""
    world.add_run(date(2024, 3, 1), [(pmid, True) for pmid in PMIDS])
    return world


# ------------------------------------------------------------------ single mode


def test_single_mode_vote_decides_at_once(searched: World) -> None:
    settings = searched.configure(ScreeningMode.SINGLE)
    assert settings.reasons == (("design", "No original data"), ("pop", "Wrong population"))
    assert searched.queued_pmids("alice") == list(PMIDS)

    result = searched.vote("alice", "9997", EXC, "pop", note="children only")

    assert result.state is ScreeningState.DECIDED
    appraisal = searched.appraisal("9997")
    assert appraisal is not None and appraisal.id == result.appraisal_id
    assert appraisal.screening is EXC
    assert appraisal.exclusion_reason == "Wrong population: children only"
    assert appraisal.position == 8  # after the reference dossier's eight appraisals
    assert searched.queued_pmids("alice") == ["12091962", "11700088", "11748933"]
    assert searched.queued_pmids("bob") == ["12091962", "11700088", "11748933"]

    searched.vote("bob", "11700088", OTH, "design")
    other = searched.appraisal("11700088")
    assert other is not None and other.position == 9 and other.exclusion_reason is None


def test_every_write_is_audited_with_its_values(searched: World) -> None:
    searched.configure(ScreeningMode.SINGLE)
    searched.vote("alice", "9997", EXC, "pop", note="children only")

    (configured,) = searched.events("dossier")[-1:]
    assert configured.action == "configure_screening"
    assert configured.after == {
        "screening_mode": "single",
        "reasons": {"design": "No original data", "pop": "Wrong population"},
    }
    (vote,) = searched.events("screening_vote")
    assert vote.actor == "alice"
    assert vote.after is not None
    assert vote.after["reviewer"] == "alice"
    assert vote.after["outcome"] == "excluded"
    assert vote.after["reason"] == "pop"
    assert vote.after["note"] == "children only"
    (appraisal,) = searched.events("appraisal")
    assert appraisal.after is not None
    assert appraisal.after["screening"] == "excluded"
    assert appraisal.after["exclusion_reason"] == "Wrong population: children only"
    assert appraisal.after["decided_by"] == "single vote"


# ------------------------------------------------------------------ dual mode


def test_dual_mode_two_agreeing_votes_decide(searched: World) -> None:
    searched.configure(ScreeningMode.DUAL)

    first = searched.vote("alice", "9997", EXC, "pop")
    assert first.state is ScreeningState.AWAITING_SECOND_VOTE
    assert searched.appraisal("9997") is None
    assert "9997" not in searched.queued_pmids("alice")
    assert "9997" in searched.queued_pmids("bob")

    second = searched.vote("bob", "9997", EXC, "design", note="a review")

    assert second.state is ScreeningState.DECIDED
    appraisal = searched.appraisal("9997")
    assert appraisal is not None and appraisal.screening is EXC
    assert appraisal.exclusion_reason == "Wrong population; No original data: a review"
    assert "9997" not in searched.queued_pmids("carol")


def test_dual_mode_disagreement_is_listed_and_resolved_by_a_third_person(
    searched: World,
) -> None:
    searched.configure(ScreeningMode.DUAL)
    searched.vote("alice", "9997", INC)

    disagreeing = searched.vote("bob", "9997", EXC, "pop", note="children only")

    assert disagreeing.state is ScreeningState.CONFLICT
    assert searched.appraisal("9997") is None
    (conflict,) = searched.do(
        screening_conflicts, dossier_reference=REF, actor=searched.actors["carol"]
    )
    assert (conflict.citation_id, conflict.pmid) == (searched.citation["9997"], "9997")
    assert [
        (v.reviewer, v.outcome, v.reason_code, v.reason_label, v.note) for v in conflict.votes
    ] == [
        ("alice", INC, None, None, None),
        ("bob", EXC, "pop", "Wrong population", "children only"),
    ]
    # The conflict awaits a resolution, not a third vote.
    assert "9997" not in searched.queued_pmids("carol")
    with pytest.raises(Conflict, match="already has two votes"):
        searched.vote("carol", "9997", INC)

    for voter in ("alice", "bob"):
        with pytest.raises(PermissionDenied, match=f"{voter} voted on citation"):
            searched.do(
                resolve_conflict,
                dossier_reference=REF,
                citation_id=searched.citation["9997"],
                outcome=INC,
                actor=searched.actors[voter],
            )

    resolved = searched.do(
        resolve_conflict,
        dossier_reference=REF,
        citation_id=searched.citation["9997"],
        outcome=EXC,
        reason_code="pop",
        note="adults are the population",
        actor=searched.actors["carol"],
    )

    assert resolved.state is ScreeningState.DECIDED
    appraisal = searched.appraisal("9997")
    assert appraisal is not None and appraisal.id == resolved.appraisal_id
    assert appraisal.screening is EXC
    assert appraisal.exclusion_reason == "Wrong population: adults are the population"
    with searched.sessions.begin() as session:
        resolution = session.scalars(sa.select(ScreeningResolution)).one()
        assert (resolution.resolved_by.username, resolution.outcome) == ("carol", EXC)
        assert resolution.note == "adults are the population"
    assert (
        searched.do(screening_conflicts, dossier_reference=REF, actor=searched.actors["carol"])
        == []
    )
    (event,) = searched.events("screening_resolution")
    assert event.actor == "carol"
    assert event.after is not None and event.after["outcome"] == "excluded"
    assert searched.events("appraisal")[-1].after == {
        "dossier": REF,
        "citation_id": searched.citation["9997"],
        "position": 8,
        "screening": "excluded",
        "exclusion_reason": "Wrong population: adults are the population",
        "decided_by": "resolution",
    }
    with pytest.raises(Conflict, match="already screened: excluded"):
        searched.do(
            resolve_conflict,
            dossier_reference=REF,
            citation_id=searched.citation["9997"],
            outcome=INC,
            actor=searched.actors["carol"],
        )


def test_only_a_disagreement_can_be_resolved(searched: World) -> None:
    searched.configure(ScreeningMode.DUAL)
    searched.vote("alice", "9997", INC)
    with pytest.raises(NotFound, match="has no screening conflict"):
        searched.do(
            resolve_conflict,
            dossier_reference=REF,
            citation_id=searched.citation["9997"],
            outcome=EXC,
            reason_code="pop",
            actor=searched.actors["carol"],
        )


def test_reviewers_are_blind_to_each_other_until_both_voted(searched: World) -> None:
    searched.configure(ScreeningMode.DUAL)
    first = searched.vote("alice", "9997", EXC, "pop", note="secret reasoning")

    # Nothing bob can see tells him what alice chose, or even that she voted.
    assert [field.name for field in dataclasses.fields(QueueItem)] == [
        "citation_id",
        "pmid",
        "title",
        "year",
        "run_id",
        "rank",
        "is_new",
    ]
    assert searched.queued_pmids("bob") == list(PMIDS)
    bob = searched.actors["bob"]
    assert searched.do(screening_conflicts, dossier_reference=REF, actor=bob) == []
    # A single vote is not a pair: it is not in the agreement figures either.
    assert searched.do(screening_agreement, dossier_reference=REF, actor=bob).pairs == 0
    # Alice learns only her own vote's state, never a verdict from someone else.
    assert (first.outcome, first.state, first.appraisal_id) == (
        EXC,
        ScreeningState.AWAITING_SECOND_VOTE,
        None,
    )


def test_a_reviewer_votes_once(searched: World) -> None:
    searched.configure(ScreeningMode.DUAL)
    searched.vote("alice", "9997", INC)
    with pytest.raises(Conflict, match="you have already voted on citation"):
        searched.vote("alice", "9997", EXC, "pop")


def test_switching_to_single_waits_for_pending_dual_votes(searched: World) -> None:
    searched.configure(ScreeningMode.DUAL)
    searched.vote("alice", "9997", INC)
    with pytest.raises(Conflict, match="finish them before switching to single screening"):
        searched.configure(ScreeningMode.SINGLE)

    searched.vote("bob", "9997", INC)
    assert searched.configure(ScreeningMode.SINGLE).mode is ScreeningMode.SINGLE
    with pytest.raises(Conflict, match="already screened: included"):
        searched.vote("carol", "9997", INC)


# ------------------------------------------------------------------ the queue


def test_queue_lists_the_latest_run_first_and_new_hits_first(world: World) -> None:
    world.configure(ScreeningMode.SINGLE)
    first_run = world.add_run(date(2024, 1, 10), [("12091962", True), ("9997", True)])
    latest = world.add_run(
        date(2024, 6, 1), [("11700088", False), ("12091962", False), ("11748933", True)]
    )

    queue = world.queue("alice")

    assert [(item.pmid, item.run_id, item.rank, item.is_new) for item in queue] == [
        ("11748933", latest, 3, True),
        ("11700088", latest, 1, False),
        ("12091962", latest, 2, False),  # listed once, where the latest run put it
        ("9997", first_run, 2, True),
    ]
    item = queue[0]
    with world.sessions.begin() as session:
        citation = session.get(Citation, item.citation_id)
        assert citation is not None
        assert (item.title, item.year) == (citation.title, citation.year)


def test_decisions_carry_over_when_a_rerun_finds_the_citation_again(world: World) -> None:
    world.configure(ScreeningMode.SINGLE)
    world.add_run(date(2024, 1, 10), [("12091962", True), ("9997", True)])
    world.vote("alice", "12091962", INC)

    world.add_run(date(2025, 1, 10), [("12091962", False), ("9997", False), ("11700088", True)])

    assert world.queued_pmids("bob") == ["11700088", "9997"]
    with pytest.raises(Conflict, match="already screened: included"):
        world.vote("bob", "12091962", EXC, "pop")


def test_only_citations_the_dossiers_searches_found_can_be_screened(world: World) -> None:
    world.configure(ScreeningMode.SINGLE)
    world.add_run(date(2024, 1, 10), [("12091962", True)])
    with pytest.raises(NotFound, match="was not found by any search of dossier 7097"):
        world.vote("alice", "9997", INC)
    with pytest.raises(NotFound, match="no dossier with reference '0000'"):
        world.do(screening_queue, dossier_reference="0000", actor=world.actors["alice"])


# ------------------------------------------------------------------ rules


@pytest.mark.parametrize("who", ["audrey", "adam"])
def test_auditors_and_admins_may_not_screen(searched: World, who: str) -> None:
    searched.configure(ScreeningMode.DUAL)
    role = USERS[who].value
    with pytest.raises(PermissionDenied, match=rf"^{who} \({role}\) may not screen$"):
        searched.vote(who, "9997", INC)
    with pytest.raises(PermissionDenied, match=rf"^{who} \({role}\) may not screen$"):
        searched.queue(who)
    with pytest.raises(PermissionDenied, match=rf"^{who} \({role}\) may not resolve screening$"):
        searched.do(screening_conflicts, dossier_reference=REF, actor=searched.actors[who])
    with pytest.raises(PermissionDenied, match=rf"^{who} \({role}\) may not configure screening"):
        searched.do(
            configure_screening,
            dossier_reference=REF,
            mode=ScreeningMode.SINGLE,
            reasons=[],
            actor=searched.actors[who],
        )
    # Reading the agreement figures is open to every role.
    report = searched.do(screening_agreement, dossier_reference=REF, actor=searched.actors[who])
    assert report.pairs == 0


def test_the_operator_may_not_screen(searched: World) -> None:
    with pytest.raises(PermissionDenied, match=r"^the operator root may not screen$"):
        searched.do(
            screen_citation,
            dossier_reference=REF,
            citation_id=searched.citation["9997"],
            outcome=INC,
            actor=Actor("root"),
        )


def test_reasons_are_required_and_must_be_the_dossiers(searched: World) -> None:
    with pytest.raises(InvalidInput, match="no reasons yet: see 'evidence screen configure'"):
        searched.vote("alice", "9997", EXC, "pop")
    searched.configure(ScreeningMode.SINGLE)
    for outcome in (OTH, EXC):
        with pytest.raises(InvalidInput, match=f"'{outcome.value}' needs a reason code"):
            searched.vote("alice", "9997", outcome)
    with pytest.raises(InvalidInput, match=r"unknown reason code 'zz' .*has design, pop"):
        searched.vote("alice", "9997", EXC, "zz")
    assert searched.vote("alice", "9997", INC).state is ScreeningState.DECIDED


def test_configuring_reasons(searched: World) -> None:
    searched.configure(ScreeningMode.SINGLE)
    searched.vote("alice", "9997", EXC, "pop")

    relabelled = searched.configure(
        ScreeningMode.DUAL, reasons=[("pop", "Not the PICO population"), ("lang", "Language")]
    )
    assert relabelled.reasons == (("lang", "Language"), ("pop", "Not the PICO population"))
    assert searched.configure(ScreeningMode.DUAL, reasons=[]).reasons == relabelled.reasons
    with pytest.raises(Conflict, match="reason 'pop' is used by earlier votes"):
        searched.configure(ScreeningMode.DUAL, reasons=[("lang", "Language")])
    with pytest.raises(InvalidInput, match="reason code 'x' is given twice"):
        searched.configure(ScreeningMode.DUAL, reasons=[("x", "One"), ("x", "Two")])
    with pytest.raises(InvalidInput, match="needs a code and a label"):
        searched.configure(ScreeningMode.DUAL, reasons=[("x", " ")])


# ------------------------------------------------------------------ agreement


def test_kappa_per_dossier(searched: World) -> None:
    # alice / bob: included/included, excluded/excluded, included/excluded, other/other.
    # n = 4, p_o = 3/4; alice: inc 2, exc 1, oth 1; bob: inc 1, exc 2, oth 1
    # p_e = (2*1 + 1*2 + 1*1) / 16 = 5/16; kappa = (3/4 - 5/16) / (1 - 5/16) = 7/11
    searched.configure(ScreeningMode.DUAL)
    votes = {
        "12091962": (INC, INC),
        "9997": (EXC, EXC),
        "11700088": (INC, EXC),
        "11748933": (OTH, OTH),
    }
    for pmid, (by_alice, by_bob) in votes.items():
        searched.vote("alice", pmid, by_alice, None if by_alice is INC else "pop")
        searched.vote("bob", pmid, by_bob, None if by_bob is INC else "design")

    report = searched.do(
        screening_agreement, dossier_reference=REF, actor=searched.actors["audrey"]
    )

    assert (report.reference, report.pairs, report.agreements) == (REF, 4, 3)
    assert report.observed_agreement == pytest.approx(0.75)
    assert report.kappa == pytest.approx(7 / 11)
    other = searched.do(
        screening_agreement, dossier_reference="iloprost-hartfalen", actor=searched.actors["bob"]
    )
    assert (other.pairs, other.observed_agreement, other.kappa) == (0, None, None)


# ------------------------------------------------------------------ the command line


def test_screening_from_the_command_line(
    database_url: str, searched: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def as_user(name: str, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("EVIDENCE_USER", name)
        result = run(database_url, "screen", *args)
        return result.exit_code, result.output

    code, output = as_user(
        "carol", "configure", REF, "--mode", "dual", "--reason", "pop=Wrong population"
    )
    assert (code, output) == (0, "dossier 7097: dual screening\n  pop\tWrong population\n")

    code, output = as_user("alice", "queue", REF)
    lines = output.splitlines()
    assert code == 0 and len(lines) == 4
    first = searched.citation["12091962"]
    citation_id, pmid, _year, place, new, _title = lines[0].split("\t")
    assert (citation_id, pmid, new) == (str(first), "12091962", "new")
    assert place.startswith("run ") and place.endswith(" #1")

    assert as_user("alice", "vote", REF, str(first), "--outcome", "included") == (
        0,
        f"citation {first}: included, recorded; waiting for the second reviewer\n",
    )
    assert as_user(
        "bob", "vote", REF, str(first), "--outcome", "excluded", "--reason", "pop", "--note", "kids"
    ) == (
        0,
        f"citation {first}: excluded, recorded; the two votes differ, a third person resolves it\n",
    )

    code, output = as_user("carol", "conflicts", REF)
    assert code == 0
    assert output.splitlines()[1:] == [
        "  alice: included",
        "  bob: excluded [pop: Wrong population] kids",
    ]
    assert as_user("alice", "resolve", REF, str(first), "--outcome", "included") == (
        1,
        f"Error: alice voted on citation {first}; a third person resolves the conflict\n",
    )
    assert as_user("carol", "resolve", REF, str(first), "--outcome", "included") == (
        0,
        f"citation {first} resolved: included\n",
    )
    assert as_user("carol", "conflicts", REF) == (0, "no conflicts\n")
    assert as_user("audrey", "vote", REF, str(first), "--outcome", "included") == (
        1,
        "Error: audrey (auditor) may not screen\n",
    )
    assert as_user("audrey", "agreement", REF) == (
        0,
        "dossier 7097: 1 pairs, 0 agree, observed agreement 0.000, kappa 0.000\n",
    )
    monkeypatch.delenv("EVIDENCE_USER")
    assert run(database_url, "audit", "verify").exit_code == 0
