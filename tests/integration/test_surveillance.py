"""Living surveillance against the E-utilities stand-in: due searches, runs, agenda."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from evidence.config import load_settings
from evidence.pubmed.entrez import EntrezClient
from evidence.runtime import Runtime
from evidence.services.audit import Actor
from evidence.services.search_strategies import StrategyDraft, draft_of, revise_search_strategy
from evidence.services.surveillance import due_searches, surveillance_agenda
from evidence.surveillance import run_surveillance
from tests.integration.cli_runs import run
from tests.standin.eutils import EutilsStandIn, PubMed, load_templates, standin_fixture

TODAY = date(2025, 6, 30)


@pytest.fixture
def eutils(monkeypatch: pytest.MonkeyPatch) -> Iterator[EutilsStandIn]:
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    yield from standin_fixture(monkeypatch, pubmed=PubMed(load_templates()))


def _runtime(database_url: str) -> Runtime:
    assert run(database_url, "demo").exit_code == 0
    return Runtime(load_settings(database_url))


def _search_7097_for(runtime: Runtime, terms: str) -> None:
    """A new version of 7097's search whose terms the stand-in's records contain."""
    with runtime.transaction() as session:
        from evidence.services.dossier_export import get_dossier

        strategy = get_dossier(session, reference="7097").search_strategies[0]
        draft = draft_of(strategy)
        # Only the terms: no filters (the stand-in matches every tag as text).
        revised = StrategyDraft(name=draft.name, terms=terms)
        revise_search_strategy(
            session, strategy_id=strategy.id, draft=revised, actor=Actor("operator")
        )


def test_due_searches_follow_the_interval(database_url: str) -> None:
    runtime = _runtime(database_url)
    with runtime.transaction() as session:
        due = due_searches(session, today=TODAY, actor=runtime.actor)
        assert [(d.dossier_reference, d.last_run) for d in due] == [("7097", date(2019, 1, 23))]
        assert due_searches(session, today=date(2019, 6, 1), actor=runtime.actor) == []
    runtime.close()


def test_surveillance_runs_since_last_and_fills_the_agenda(
    database_url: str, eutils: EutilsStandIn
) -> None:
    runtime = _runtime(database_url)
    _search_7097_for(runtime, "humans")
    client = EntrezClient(runtime.settings, backoff_base=0.05)
    [result] = run_surveillance(runtime, client, today=lambda: TODAY)
    assert result.error is None and result.summary is not None
    assert result.summary.outcome == "completed"
    window = [r.params for r in eutils.requests_to("esearch") if "mindate" in r.params]
    assert window and window[0]["mindate"] == "2019/01/20"  # last run minus the overlap
    expected = {
        str(a.pmid)
        for a in eutils.app.pubmed.articles
        if a.pmid in set(eutils.app.pubmed.search("humans").ids)
        and date(2019, 1, 20) <= a.entrez_date <= TODAY
    }
    assert result.summary.new == len(expected) > 0

    with runtime.transaction() as session:
        [entry] = surveillance_agenda(session, actor=runtime.actor)
        assert entry.reference == "7097"
        assert {item.pmid for item in entry.items} == expected
        scores = [item.score for item in entry.items]
        assert scores == sorted(scores, reverse=True)
        assert due_searches(session, today=TODAY, actor=runtime.actor) == []  # just ran
    runtime.close()


def test_case_reports_about_the_condition_come_first(
    database_url: str, eutils: EutilsStandIn
) -> None:
    runtime = _runtime(database_url)
    _search_7097_for(runtime, "case")
    run_surveillance(runtime, EntrezClient(runtime.settings), today=lambda: TODAY)
    with runtime.transaction() as session:
        [entry] = surveillance_agenda(session, actor=runtime.actor, dossier_reference="7097")
    first = entry.items[0]
    assert "case report" in first.reasons
    assert all("case report" not in item.reasons for item in entry.items if item.score == 0)
    runtime.close()


def test_cli_surveillance(database_url: str, eutils: EutilsStandIn) -> None:
    runtime = _runtime(database_url)
    _search_7097_for(runtime, "humans")
    runtime.close()
    ran = run(database_url, "surveillance", "run")
    assert ran.exit_code == 0, ran.output
    assert "7097: search pubmed (since 2019-01-23)" in ran.output
    agenda = run(database_url, "surveillance", "agenda", "--limit", "3")
    assert agenda.output.startswith("7097: Veneuze trombo-embolie: immunoglobuline, normaal - ")
    again = run(database_url, "surveillance", "run")
    assert again.output == "no searches are due\n"
