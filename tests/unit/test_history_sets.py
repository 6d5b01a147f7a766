"""How the PMIDs of a split search become history sets, and the sets become efetch
batches: pure bookkeeping, no request is made."""

from __future__ import annotations

from evidence.pubmed.entrez import EntrezClient
from evidence.pubmed.history_reader import BatchTicket, HistoryReader, HistorySet
from evidence.pubmed.retrieval import Collected


def _pmids(first: int, count: int) -> list[str]:
    return [str(pmid) for pmid in range(first, first - count, -1)]


def test_the_hits_of_a_day_searched_twice_are_read_from_the_first_new_one() -> None:
    collected = Collected(count=0, translation=None)
    newer = _pmids(1000, 10)
    collected.keep(newer, "env", "1")
    # The next slice ends on the day of the last hits listed: those lead its answer.
    collected.keep(newer[-3:] + _pmids(990, 5), "env", "2")

    assert collected.pmids == newer + _pmids(990, 5)
    assert collected.sets[1] == HistorySet(tuple(_pmids(990, 5)), "env", "2", offset=3)


def test_hits_listed_already_that_do_not_lead_the_answer_make_a_set_to_post() -> None:
    collected = Collected(count=0, translation=None)
    collected.keep(["9", "8"], "env", "1")
    collected.keep(["7", "8", "6"], "env", "2")

    assert collected.pmids == ["9", "8", "7", "6"]
    assert collected.sets[1] == HistorySet(("7", "6"))  # no key: posted before it is read


def test_an_answer_kept_with_its_records_needs_no_key() -> None:
    collected = Collected(count=0, translation=None)
    collected.keep(["9", "8"], "env", "1")
    collected.keep(["8", "7"], answer=b"<PubmedArticleSet/>")
    collected.keep(["7"], "env", "2")  # listed already: nothing to keep

    assert collected.pmids == ["9", "8", "7"]
    assert collected.sets[1:] == [HistorySet(("7",), answer=b"<PubmedArticleSet/>")]


def test_a_fetched_batch_is_one_ticket_and_no_more_batches_than_one_set_would_take() -> None:
    """10,107 hits in batches of 200: the newest 9,799 read from the first answer's set,
    its last 200 fetched already, 108 more from the second set, after the 4 of the day
    searched twice. 48 full batches, the fetched one, and the two short ends: 51, as
    many as one unsplit set of 10,107 would take."""
    first = HistorySet(tuple(_pmids(50_000, 9_799)), "env", "1")
    fetched = HistorySet(tuple(_pmids(40_201, 200)), answer=b"<PubmedArticleSet/>")
    rest = HistorySet(tuple(_pmids(40_001, 108)), "env", "2", offset=4)
    reader = HistoryReader(EntrezClient(), 200, [first, fetched, rest])

    tickets = reader.tickets()

    assert len(tickets) == 51
    wanted = [pmid for ticket in tickets for pmid in ticket.wanted]
    assert sorted(wanted) == sorted(first.pmids + fetched.pmids + rest.pmids)
    # Fetched already: first, so that its parse and store are not left to the end.
    assert tickets[0] == BatchTicket(1, 0, list(fetched.pmids))
    assert [t.wanted for t in tickets if t.set_index == 1] == [list(fetched.pmids)]
    # Offsets count within the PMIDs kept; the set's own offset is added on asking.
    assert [(t.offset, len(t.wanted)) for t in tickets if t.set_index == 2] == [(0, 108)]
