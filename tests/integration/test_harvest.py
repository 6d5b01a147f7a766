"""Harvesting end to end: the real client, parser and database against the stand-in.

Every test runs the production code path (Entrez client -> streaming parser ->
ingest) against tests/standin's E-utilities, which serves real PubMed records
and can misbehave on demand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from evidence import answer_parser
from evidence.config import load_settings
from evidence.db import make_engine
from evidence.errors import HarvestError, ParseError
from evidence.harvester import Harvester
from evidence.pubmed.entrez import EntrezClient
from evidence.pubmed.entrez_answers import article_set_reader
from evidence.pubmed.entry_dates import entrez_dates
from evidence.pubmed.history_reader import HistoryReader
from evidence.pubmed.retrieval import BATCH_SIZE, ESEARCH_CEILING, PmidCollector
from evidence.runtime import Runtime
from evidence.services.audit import Actor
from evidence.services.search_strategies import StrategyDraft, create_search_strategy
from tests.integration.processes import children, parser_processes
from tests.standin.eutils import (
    SYNTHETIC_PMID_BASE,
    Article,
    EutilsStandIn,
    Fault,
    PubMed,
    SearchHits,
    load_templates,
    standin_fixture,
)

SMALL_TERM = "patients"
ERRORS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "errors"


@pytest.fixture(scope="module")
def small_pubmed() -> PubMed:
    """The real fixture records only (about a hundred), for quick runs."""
    return PubMed(load_templates())


@pytest.fixture
def eutils(monkeypatch: pytest.MonkeyPatch, small_pubmed: PubMed) -> Iterator[EutilsStandIn]:
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")  # 10 requests/s instead of 3
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    yield from standin_fixture(monkeypatch, pubmed=small_pubmed)


def _runtime(database_url: str) -> Runtime:
    return Runtime(load_settings(database_url))


def _client(runtime: Runtime) -> EntrezClient:
    return EntrezClient(runtime.settings, backoff_base=0.05, backoff_cap=0.2)


def _strategy(runtime: Runtime, term: str = SMALL_TERM, name: str = "test") -> int:
    with runtime.transaction() as session:
        strategy = create_search_strategy(
            session, draft=StrategyDraft(name=name, terms=term), actor=Actor("analyst")
        )
        return strategy.id


def _harvest_into_copy(tmp_path: Path, template: Path, name: str, batch_size: int = 10) -> str:
    """A fresh SQLite database (named ``name``) after a harvest of the small search."""
    path = tmp_path / f"{name}.db"
    path.write_bytes(template.read_bytes())
    url = f"sqlite:///{path}"
    runtime = _runtime(url)
    Harvester(runtime, _client(runtime), batch_size=batch_size).run(_strategy(runtime))
    runtime.close()
    return url


def _state(database_url: str) -> dict[str, object]:
    """What a run leaves behind, without ids and times: hits, citations, outcome."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        hits = connection.execute(
            sa.text(
                "SELECT h.rank, h.pmid, h.state, h.is_new, c.record_hash FROM search_hit h "
                "LEFT JOIN citation c ON c.id = h.citation_id ORDER BY h.rank"
            )
        ).all()
        runs = connection.execute(
            sa.text(
                "SELECT outcome, result_count, retrieved_count, new_count, count_discrepancy "
                "FROM search_run ORDER BY id"
            )
        ).all()
        citations = connection.execute(sa.text("SELECT count(*) FROM citation")).scalar()
    engine.dispose()
    return {"hits": [tuple(h) for h in hits], "runs": [tuple(r) for r in runs], "n": citations}


def test_small_search_is_stored_completely(database_url: str, eutils: EutilsStandIn) -> None:
    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime)
    summary = Harvester(runtime, _client(runtime), batch_size=25).run(strategy_id)

    expected = eutils.app.pubmed.search(SMALL_TERM).ids
    assert len(expected) > 25  # more than one efetch batch
    assert (summary.outcome, summary.count, summary.retrieved) == (
        "completed",
        len(expected),
        len(expected),
    )
    state = _state(database_url)
    assert [pmid for _, pmid, *_ in state["hits"]] == [str(p) for p in expected]  # type: ignore[union-attr]
    assert {h[2] for h in state["hits"]} == {"fetched"}  # type: ignore[union-attr]
    # Ranked from 1, all new: no earlier run of the strategy found any.
    assert [(h[0], bool(h[3])) for h in state["hits"]] == [  # type: ignore[union-attr]
        (rank, True) for rank in range(1, len(expected) + 1)
    ]
    assert summary.new == len(expected)
    assert eutils.violations == []
    # One esearch lists the PMIDs and keeps them on the history server; efetch reads
    # that set batch by batch, and nothing has to be posted.
    (search,) = eutils.requests_to("esearch")
    assert search.params["usehistory"] == "y"
    efetches = eutils.requests_to("efetch")
    # (Two batches may start at once, so they can arrive in either order.)
    assert sorted((r.params["query_key"], int(r.params["retstart"])) for r in efetches) == [
        ("1", start) for start in range(0, len(expected), 25)
    ]
    assert {r.params["WebEnv"] for r in efetches} == set(eutils.app.history.created)
    assert len(eutils.app.history.created) == 1
    assert eutils.requests_to("epost") == []
    runtime.close()


FAULTS = [
    pytest.param(Fault.rate_limited(retry_after="1"), id="429-retry-after"),
    pytest.param(Fault.http_status(500), id="500"),
    pytest.param(Fault.http_status(502), id="502"),
    pytest.param(Fault.http_status(503), id="503"),
    pytest.param(Fault.slow(1.5), id="slow"),
    pytest.param(Fault.truncated(), id="truncated-xml"),
    pytest.param(Fault.dropped(), id="dropped-connection"),
    pytest.param(Fault.document(ERRORS / "biopython-1.88" / "pubmed3.html"), id="html-page"),
]


@pytest.mark.parametrize("utility", ["esearch", "efetch"])
@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_survived_with_the_same_result(
    tmp_path: Path,
    _sqlite_template: Path,
    eutils: EutilsStandIn,
    fault: Fault,
    utility: str,
) -> None:
    clean = _harvest_into_copy(tmp_path, _sqlite_template, "clean", batch_size=40)
    # Two failures in a row are retried; a slow answer is simply waited for, and the
    # small search makes only one esearch request.
    eutils.inject(fault, times=1 if fault.kind == "slow" else 2, utility=utility)
    faulty = _harvest_into_copy(tmp_path, _sqlite_template, "faulty", batch_size=40)
    assert eutils.pending_faults == 0
    assert _state(clean) == _state(faulty)
    assert eutils.violations == []


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault.truncated(), id="truncated-xml"),
        pytest.param(Fault.dropped(), id="dropped-connection"),
        pytest.param(Fault.http_status(502), id="502"),
    ],
)
def test_answers_parsed_in_a_parser_process_survive_faults_alike(
    tmp_path: Path,
    _sqlite_template: Path,
    eutils: EutilsStandIn,
    fault: Fault,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large harvest parses in a parser process, and that parse is what finds a cut
    answer: the answer must be asked for again, and the end be that of a clean run."""
    from tests.integration.cli_runs import run

    results = []
    for attempt in ("parsed here, clean", "parser process, faulty"):
        if attempt.endswith("faulty"):
            monkeypatch.setattr(answer_parser, "LARGE_HARVEST", 1)  # this harvest is large
            eutils.inject(fault, times=2, utility="efetch")
        url = _harvest_into_copy(tmp_path, _sqlite_template, attempt, batch_size=40)
        export = run(url, "export", "citations", "--format", "jsonl")
        results.append((_state(url), export.output))
    assert eutils.pending_faults == 0
    assert results[0] == results[1]
    assert results[0][0]["n"] > 40  # more than one batch


def test_a_harvest_waits_for_checkpoints_that_restart_the_log(
    tmp_path: Path,
    _sqlite_template: Path,
    eutils: EutilsStandIn,
    restart_every_checkpoint: Callable[[float], None],
) -> None:
    """A restarting checkpoint holds the write lock; each of the run's transactions,
    which read before they write, must wait for it rather than fail the harvest."""
    clean = _harvest_into_copy(tmp_path, _sqlite_template, "clean", batch_size=5)
    restart_every_checkpoint(0.001)
    restarted = _harvest_into_copy(tmp_path, _sqlite_template, "restarted", batch_size=5)
    assert _state(clean) == _state(restarted)


def test_lasting_failure_leaves_a_resumable_run(database_url: str, eutils: EutilsStandIn) -> None:
    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime)
    client = replace_attempts(_client(runtime), 2)
    eutils.inject(Fault.http_status(503), times=4, utility="efetch")
    with pytest.raises(HarvestError) as failed:
        Harvester(runtime, client, batch_size=25).run(strategy_id)
    assert "stopped and can be resumed" in str(failed.value)
    assert "HTTP 503" in str(failed.value)
    assert _state(database_url)["runs"][0][0] == "incomplete"  # type: ignore[index]

    summary = Harvester(runtime, _client(runtime), batch_size=25).run(strategy_id)
    assert (summary.outcome, summary.resumed) == ("completed", True)
    assert summary.retrieved == summary.count
    runtime.close()


def test_a_lost_history_session_is_recreated(
    tmp_path: Path, _sqlite_template: Path, eutils: EutilsStandIn
) -> None:
    """NCBI forgets the search's set part-way: it is posted anew, reading goes on."""
    results = []
    for attempt in ("clean", "lost"):
        path = tmp_path / f"{attempt}.db"
        path.write_bytes(_sqlite_template.read_bytes())
        runtime = _runtime(f"sqlite:///{path}")
        if attempt == "lost":
            eutils.inject(Fault.history_expired(), utility="efetch", after=1)
        harvester = Harvester(runtime, _client(runtime), batch_size=10, in_flight=1)
        summary = harvester.run(_strategy(runtime))
        runtime.close()
        assert summary.outcome == "completed"
        results.append(_state(f"sqlite:///{path}"))
    assert results[0] == results[1]
    assert eutils.pending_faults == 0

    expected = [str(p) for p in eutils.app.pubmed.search(SMALL_TERM).ids]
    (posted,) = eutils.requests_to("epost")
    assert posted.params["id"].split(",") == expected  # the whole set, in the same order
    last_session = eutils.app.history.created[-1]
    after = [r for r in eutils.requests_to("efetch") if r.at > posted.at]
    assert {r.params["WebEnv"] for r in after} == {last_session}
    # The batch that found the set lost is asked for again; nothing before it.
    assert [int(r.params["retstart"]) for r in after] == list(range(10, len(expected), 10))
    with _runtime(f"sqlite:///{tmp_path / 'lost.db'}").transaction() as session:
        warnings = session.execute(sa.text("SELECT warnings FROM search_run")).scalar_one()
    assert "history server had lost the set" in str(warnings)


def test_a_set_lost_under_several_batches_is_posted_once(
    database_url: str, eutils: EutilsStandIn
) -> None:
    runtime = _runtime(database_url)
    eutils.inject(Fault.slow(0.2), times=4, utility="efetch")  # keep four on their way
    eutils.inject(Fault.history_expired(), utility="efetch")
    summary = Harvester(runtime, _client(runtime), batch_size=10, in_flight=4).run(
        _strategy(runtime)
    )
    runtime.close()
    assert (summary.outcome, summary.retrieved) == ("completed", summary.count)
    assert len(eutils.requests_to("epost")) == 1
    assert eutils.violations == []


def test_batches_are_fetched_several_at_a_time(database_url: str, eutils: EutilsStandIn) -> None:
    """NCBI takes its time to answer: the harvest keeps several requests on their way,
    and the rate limit still holds."""
    runtime = _runtime(database_url)
    eutils.inject(Fault.slow(0.3), times=100, utility="efetch")
    summary = Harvester(runtime, _client(runtime), batch_size=5, in_flight=4).run(
        _strategy(runtime)
    )
    runtime.close()
    assert (summary.outcome, summary.retrieved) == ("completed", summary.count)
    assert eutils.most_at_once >= 3
    assert eutils.violations == []


def test_a_session_lost_again_and_again_stops_resumably(
    database_url: str, eutils: EutilsStandIn
) -> None:
    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime)
    eutils.inject(Fault.history_expired(), times=10, utility="efetch")
    with pytest.raises(HarvestError, match="lost the set 4 times in a row"):
        Harvester(runtime, _client(runtime), batch_size=25).run(strategy_id)
    assert len(eutils.requests_to("epost")) == 3
    eutils.clear_faults()

    # A resumed run has no search set: it posts the pending PMIDs and reads those.
    before = len(eutils.requests_to("esearch"))
    summary = Harvester(runtime, _client(runtime), batch_size=25).run(strategy_id)
    assert (summary.outcome, summary.resumed, summary.retrieved) == (
        "completed",
        True,
        summary.count,
    )
    assert len(eutils.requests_to("esearch")) == before  # not searched again
    reposted = eutils.requests_to("epost")[-1]
    expected = [str(p) for p in eutils.app.pubmed.search(SMALL_TERM).ids]
    assert reposted.params["id"].split(",") == expected
    runtime.close()


def replace_attempts(client: EntrezClient, attempts: int) -> EntrezClient:
    client.max_attempts = attempts
    return client


def test_unknown_pmids_are_recorded_as_missing(database_url: str, eutils: EutilsStandIn) -> None:
    """A PMID that esearch lists but efetch never returns is named, not lost silently."""
    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime)
    expected = eutils.app.pubmed.search(SMALL_TERM).ids
    gone = expected[3]
    pubmed = eutils.app.pubmed
    original = pubmed.efetch_body
    pubmed.efetch_body = lambda pmids: original(p for p in pmids if p != gone)  # type: ignore[method-assign]
    try:
        summary = Harvester(runtime, _client(runtime), batch_size=25).run(strategy_id)
    finally:
        pubmed.efetch_body = original  # type: ignore[method-assign]
    assert summary.missing == [str(gone)]
    assert summary.outcome == "completed"
    assert summary.retrieved == len(expected) - 1
    runtime.close()


def _pubmed_until(pubmed: PubMed, last_day: date) -> PubMed:
    """The same PubMed as it stood on ``last_day`` (records entered later are absent)."""
    earlier = PubMed(pubmed.templates)
    earlier.articles = [a for a in pubmed.articles if a.entrez_date <= last_day]
    earlier.by_pmid = {a.pmid: a for a in earlier.articles}
    return earlier


def test_since_last_reports_exactly_the_new_pmids(
    database_url: str, eutils: EutilsStandIn, small_pubmed: PubMed
) -> None:
    matching = [
        a for a in small_pubmed.articles if a.pmid in set(small_pubmed.search("humans").ids)
    ]
    days = sorted({a.entrez_date for a in matching})
    first_day, last_day = days[len(days) // 2], days[-1]
    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime, term="humans")

    eutils.app.pubmed = _pubmed_until(small_pubmed, first_day)
    first = Harvester(runtime, _client(runtime), today=lambda: first_day).run(strategy_id)
    eutils.app.pubmed = small_pubmed
    second = Harvester(runtime, _client(runtime), today=lambda: last_day).run(
        strategy_id, since_last=True
    )

    expected_new = {str(a.pmid) for a in matching if a.entrez_date > first_day}
    engine = make_engine(database_url)
    with engine.connect() as connection:
        new = set(
            connection.execute(
                sa.text("SELECT pmid FROM search_hit WHERE run_id = :run AND is_new"),
                {"run": second.run_id},
            ).scalars()
        )
        window = connection.execute(
            sa.text("SELECT window_from, window_to FROM search_run WHERE id = :run"),
            {"run": second.run_id},
        ).one()
    engine.dispose()
    assert first.count == len([a for a in matching if a.entrez_date <= first_day])
    assert expected_new and new == expected_new
    assert second.new == len(expected_new)
    assert str(window[0])[:10] == (first_day - timedelta(days=3)).isoformat()
    runtime.close()


def test_since_last_needs_an_earlier_run(database_url: str, eutils: EutilsStandIn) -> None:
    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime)
    with pytest.raises(Exception, match="no earlier completed run"):
        Harvester(runtime, _client(runtime)).run(strategy_id, since_last=True)
    runtime.close()


def _cli(database_url: str, eutils_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EVIDENCE_EUTILS_URL": eutils_url, "NCBI_API_KEY": "stand-in-key"}
    return subprocess.Popen(
        [sys.executable, "-m", "evidence", "--db", database_url, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _fetched(database_url: str) -> int:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM search_hit WHERE state = 'fetched'")
        ).scalar()
    engine.dispose()
    return int(count or 0)


def test_run_killed_part_way_resumes_to_the_same_end(
    database_url: str, eutils: EutilsStandIn, tmp_path: Path, _sqlite_template: Path
) -> None:
    clean_url = _harvest_into_copy(tmp_path, _sqlite_template, "clean")

    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime)
    runtime.close()
    eutils.inject(Fault.slow(0.4), times=50, utility="efetch")  # slow enough to be caught
    process = _cli(
        database_url, eutils.url, "search", "run", str(strategy_id), "--batch-size", "10"
    )
    deadline = time.monotonic() + 60
    while _fetched(database_url) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    fetched_at_kill = _fetched(database_url)
    total = len(eutils.app.pubmed.search(SMALL_TERM).ids)
    assert 20 <= fetched_at_kill < total

    assert eutils.pending_faults > 0  # the first process was killed before using them all
    eutils.clear_faults()  # the second one may go at full speed: resuming is what is tested
    again = _cli(database_url, eutils.url, "search", "run", str(strategy_id), "--batch-size", "10")
    output = again.communicate(timeout=120)[0].decode()
    assert again.returncode == 0, output
    assert "(resumed): completed" in output
    assert _state(database_url) == _state(clean_url)
    assert eutils.violations == []


def test_a_parser_process_that_dies_stops_the_run_resumably(
    database_url: str,
    eutils: EutilsStandIn,
    tmp_path: Path,
    _sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean_url = _harvest_into_copy(tmp_path, _sqlite_template, "clean")

    monkeypatch.setattr(answer_parser, "LARGE_HARVEST", 1)  # parse in a parser process
    runtime = _runtime(database_url)
    strategy_id = _strategy(runtime)
    killed: list[int] = []

    def kill_the_parser(done: int, total: int) -> None:
        if not killed:  # before the first answer: the search has started the parsers
            started = parser_processes()
            assert len(started) == answer_parser.PARSER_PROCESSES, children()
            killed.append(started[0])  # one of them: the other must not carry on alone
            os.kill(started[0], signal.SIGKILL)

    harvester = Harvester(runtime, _client(runtime), batch_size=10, on_progress=kill_the_parser)
    with pytest.raises(ParseError, match=r"parser process stopped unexpectedly \(exit status"):
        harvester.run(strategy_id)
    assert len(killed) == 1
    summary = Harvester(runtime, _client(runtime), batch_size=10).run(strategy_id)
    runtime.close()
    assert (summary.outcome, summary.resumed) == ("completed", True)
    assert _state(database_url) == _state(clean_url)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_more_than_ten_thousand_hits_are_retrieved_completely(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    with EutilsStandIn() as big:
        monkeypatch.setenv("EVIDENCE_EUTILS_URL", big.url)
        total = len(big.app.pubmed.search("all[sb]").ids)
        assert total > 10_000
        runtime = _runtime(database_url)
        # Batches of 450: each slice ends in a short batch, and the two fit in one.
        summary = Harvester(runtime, _client(runtime), batch_size=450).run(
            _strategy(runtime, term="all[sb]")
        )
        runtime.close()
        assert (summary.outcome, summary.count, summary.retrieved) == ("completed", total, total)
        assert big.violations == []
        searches = big.requests_to("esearch")
        assert total < 2 * ESEARCH_CEILING
        # The whole, listing the newest 9,999, and the rest from the day of the last.
        assert len(searches) == 2
        assert "mindate" not in searches[0].params and "maxdate" in searches[1].params
        # The batch that told that day is one the harvest needed, and the sets' short
        # ends are gathered: the records take no more requests than one unsplit set would.
        assert len(big.requests_to("efetch")) == -(-total // 450)
    state = _state(database_url)
    assert state["runs"] == [("completed", total, total, total, 0)]
    assert state["n"] == total


@pytest.mark.parametrize("copies", [20_000, 50_000])
def test_a_split_search_costs_few_requests(
    monkeypatch: pytest.MonkeyPatch, small_pubmed: PubMed, copies: int
) -> None:
    """Hits dated 2021-2024 searched in December 2026: two empty years before them, a
    few old records far behind. Every hit is listed, with the fewest esearch requests
    that can list them, give or take one for the days searched twice; the only efetch
    requests are for the last batch of each answer over the ceiling, by ID."""
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    pubmed = PubMed(small_pubmed.templates, synthetic=copies)
    with EutilsStandIn(pubmed) as standin:
        monkeypatch.setenv("EVIDENCE_EUTILS_URL", standin.url)
        collector = PmidCollector(EntrezClient(), today=date(2026, 12, 2))
        collected = collector.collect("all[sb]", None)
        searches = standin.requests_to("esearch")
        fetches = standin.requests_to("efetch")
    assert sorted(collected.pmids) == sorted(str(a.pmid) for a in pubmed.articles)
    assert len(set(collected.pmids)) == len(collected.pmids)
    fewest = -(-len(pubmed.articles) // ESEARCH_CEILING)
    assert fewest <= len(searches) <= fewest + 1, len(searches)
    assert len(fetches) == len(searches) - 1
    for search, fetch in zip(searches, fetches, strict=False):
        window = (
            (_date(search.params["mindate"]), _date(search.params["maxdate"]))
            if "mindate" in search.params
            else None
        )
        listed = [str(pmid) for pmid in pubmed.search("all[sb]", window).ids[:ESEARCH_CEILING]]
        assert fetch.params["id"].split(",") == listed[-BATCH_SIZE:]
    # What the answers listed is read from their history sets, the days searched
    # twice from their first new hit; only the fetched batches come with an answer.
    kept = [pmid for held in collected.sets for pmid in held.pmids]
    assert kept == collected.pmids
    assert sum(held.answer is not None for held in collected.sets) == len(fetches)
    assert any(held.offset > 0 for held in collected.sets)


def _date(text: str) -> date:
    return date(*map(int, text.split("/")))


def test_a_set_read_from_past_the_day_searched_twice_is_posted_whole_when_lost(
    monkeypatch: pytest.MonkeyPatch, small_pubmed: PubMed
) -> None:
    """The second answer of a split search is read from its first new hit on. Once NCBI
    has lost the session, what is posted is the set's new hits alone, and the batch is
    read from the new set's start: the same records."""
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    pubmed = PubMed(small_pubmed.templates, synthetic=12_000)
    with EutilsStandIn(pubmed) as standin:
        monkeypatch.setenv("EVIDENCE_EUTILS_URL", standin.url)
        client = EntrezClient()
        collected = PmidCollector(client, today=date(2026, 12, 2)).collect("all[sb]", None)
        index, later = next((i, s) for i, s in enumerate(collected.sets) if s.offset)
        reader = HistoryReader(client, BATCH_SIZE, collected.sets)
        ticket = next(t for t in reader.tickets() if t.set_index == index and t.offset)
        read = article_set_reader(entrez_dates)

        before = reader.fetch(ticket, read)
        standin.inject(Fault.history_expired(), utility="efetch")
        after = reader.fetch(ticket, read)
        (posted,) = standin.requests_to("epost")
    assert (before.renewed, after.renewed) == (0, 1)
    assert list(before.answer) == list(after.answer) == ticket.wanted
    assert posted.params["id"].split(",") == list(later.pmids)


def test_a_first_answer_not_listed_newest_first_still_splits_completely(
    monkeypatch: pytest.MonkeyPatch, small_pubmed: PubMed
) -> None:
    """Peeling relies on the answers' order, newest first: with the first answer listed
    the other way round, the counts show that hits after the cut were not listed, and
    the range is split blind; every hit is still found."""
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    pubmed = PubMed(small_pubmed.templates, synthetic=20_000)
    original = pubmed.search

    def oldest_first(term: str, window: tuple[date, date] | None = None) -> SearchHits:
        hits = original(term, window)
        return replace(hits, ids=hits.ids[::-1]) if window is None else hits

    monkeypatch.setattr(pubmed, "search", oldest_first)
    with EutilsStandIn(pubmed) as standin:
        monkeypatch.setenv("EVIDENCE_EUTILS_URL", standin.url)
        collected = PmidCollector(EntrezClient(), today=date(2026, 12, 2)).collect("all[sb]", None)
        fetches = standin.requests_to("efetch")
    assert len(fetches) == 1  # the first answer's last batch, its dates then not used
    assert all(held.answer is None for held in collected.sets)  # split blind instead
    assert sorted(collected.pmids) == sorted(str(a.pmid) for a in pubmed.articles)
    assert collected.count == len(pubmed.articles)


def test_the_count_is_told_before_the_split_begins(
    monkeypatch: pytest.MonkeyPatch, small_pubmed: PubMed
) -> None:
    """The harvester starts its parser process on the first count, not after the
    whole split search."""
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    pubmed = PubMed(small_pubmed.templates, synthetic=12_000)
    with EutilsStandIn(pubmed) as standin:
        monkeypatch.setenv("EVIDENCE_EUTILS_URL", standin.url)
        told: list[tuple[int, int]] = []
        collected = PmidCollector(EntrezClient(), today=date(2026, 12, 2)).collect(
            "all[sb]", None, on_count=lambda count: told.append((count, len(standin.requests)))
        )
        searches = len(standin.requests_to("esearch"))
    assert told == [(len(pubmed.articles), 1)]
    assert searches > 1 and len(collected.pmids) == len(pubmed.articles)


def test_a_record_added_during_the_split_search_is_not_lost(
    monkeypatch: pytest.MonkeyPatch, small_pubmed: PubMed
) -> None:
    """A record entering PubMed between two requests of a split, with an old Entrez
    date, is found: the oldest part is searched last, whatever the first count said."""
    monkeypatch.setenv("NCBI_API_KEY", "stand-in-key")
    monkeypatch.setenv("NCBI_EMAIL", "analyst@example.org")
    # Copies dated 2021-2024 only, so nothing is older than 2021 ...
    pubmed = PubMed([], synthetic=10_100, models=small_pubmed.templates)
    model = next(t for t in small_pubmed.templates if not t.is_book)
    # ... until this record, entered late with an old Entrez date, appears in one.
    late = Article(SYNTHETIC_PMID_BASE - 1, date(1850, 6, 1), model)
    with EutilsStandIn(pubmed) as standin:
        monkeypatch.setenv("EVIDENCE_EUTILS_URL", standin.url)
        original = pubmed.search

        def search(term: str, window: tuple[date, date] | None = None) -> object:
            if window is not None and late.pmid not in pubmed.by_pmid:
                pubmed.articles.append(late)  # enters PubMed once the split has begun
                pubmed.by_pmid[late.pmid] = late
            return original(term, window)

        monkeypatch.setattr(pubmed, "search", search)
        collected = PmidCollector(EntrezClient(), today=date(2026, 1, 1)).collect("all[sb]", None)
        searches = standin.requests_to("esearch")
    assert str(late.pmid) in collected.pmids
    assert len(collected.pmids) == len(pubmed.articles)
    assert searches[-1].params["mindate"] == "1800/01/01"  # the oldest part, searched last
    assert len(searches) <= 5  # the whole, a cut too wide, two slices, and the rest


def test_search_commands(database_url: str, eutils: EutilsStandIn) -> None:
    from tests.integration.cli_runs import run

    run(database_url, "demo")
    created = run(
        database_url,
        "search",
        "create",
        "--name",
        "vte",
        "--term",
        "immunoglobulins",
        "--dossier",
        "7097",
        "--publication-type",
        "Review",
        "--language",
        "English",
    )
    assert created.exit_code == 0, created.output
    strategy_id = created.output.splitlines()[-1]
    assert strategy_id.isdigit()
    assert 'query: (immunoglobulins) AND "review"[Publication Type] AND "english"[Language]' in (
        created.output
    )

    ran = run(database_url, "search", "run", strategy_id)
    assert ran.exit_code == 0, ran.output
    assert "run " in ran.output and ": completed" in ran.output

    revised = run(database_url, "search", "revise", strategy_id, "--language", "Dutch")
    assert revised.exit_code == 0, revised.output
    assert "vte v2" in revised.output
    new_id = revised.output.splitlines()[-1]
    again = run(database_url, "search", "run", new_id)
    assert again.exit_code == 0, again.output

    history = run(database_url, "search", "history", new_id).output.splitlines()
    assert [line.split("\t")[1] for line in history] == ["v1", "v2"]
    run_id = history[0].split("\t")[0]
    shown = run(database_url, "search", "show-run", run_id).output
    assert "query sent: (immunoglobulins)" in shown
    assert "query translation: " in shown
    assert "versions: Biopython " in shown


def test_search_errors_are_one_line(database_url: str, eutils: EutilsStandIn) -> None:
    from tests.integration.cli_runs import run

    assert run(database_url, "search", "run", "999").output == (
        "Error: no search strategy with id 999\n"
    )
    bad = run(
        database_url,
        "search",
        "create",
        "--name",
        "x",
        "--term",
        "a",
        "--from",
        "2020-01-02",
        "--to",
        "2020-01-01",
    )
    assert bad.exit_code == 1
    assert bad.output == "Error: the date range is reversed: 2020-01-02 > 2020-01-01\n"
