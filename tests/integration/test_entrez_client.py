"""The Entrez client against the E-utilities stand-in, over real HTTP on 127.0.0.1.

Requests are built by Biopython and answers parsed by it, as in production; the
stand-in answers with NCBI's recorded bytes and documented behaviour. Most tests run
with an API key (10 requests/s) so the suite stays quick; the burst test also runs
without one.
"""

from __future__ import annotations

import re
import threading
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from xml.parsers import expat

import pytest
from Bio import Entrez

from evidence.errors import HarvestError, HistorySessionLost
from evidence.pubmed.entrez import EntrezClient
from evidence.pubmed.entrez_answers import SearchResult
from evidence.pubmed.rate_limit import (
    ANSWERED_MARGIN,
    HEADROOM_WITH_KEY,
    HEADROOM_WITHOUT_KEY,
    RateLimiter,
    Ticket,
    shared_limiter,
)
from tests.standin.eutils import (
    FIXTURES,
    PUBMED_HEAD,
    SYNTHETIC_PMID_BASE,
    EutilsApp,
    EutilsStandIn,
    Fault,
    default_pubmed,
    standin_fixture,
)

API_KEY = "0123456789abcdef0123456789abcdef0123"  # NCBI keys are 36 hex characters
EMAIL = "harvester@example.org"
PUBMED1 = FIXTURES / "pubmed-xml/biopython-1.88/pubmed1.xml"  # efetch id=12091962,9997
PUBMED2 = FIXTURES / "pubmed-xml/biopython-1.88/pubmed2.xml"  # efetch id=11748933,11700088
EMPTY_SET = FIXTURES / "pubmed-xml/metapub-0.7.5/pmid_xml/37909814.xml"
ESEARCH = FIXTURES / "esearch/biopython-1.88"
ERRORS = FIXTURES / "errors"


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def eutils(monkeypatch: pytest.MonkeyPatch) -> Iterator[EutilsStandIn]:
    monkeypatch.setenv("NCBI_EMAIL", EMAIL)
    monkeypatch.setenv("NCBI_API_KEY", API_KEY)
    monkeypatch.setenv("NCBI_TOOL", "evidence-review-tests")
    yield from standin_fixture(monkeypatch)


class Sleeps(list[float]):
    """A ``sleep`` that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(eutils: EutilsStandIn, sleeps: Sleeps) -> EntrezClient:
    """A client whose backoff sleeps are recorded; the rate limiter still waits for real."""
    return EntrezClient(sleep=sleeps, backoff_base=0.01, timeout=1.0)


def pmids(xml: bytes) -> list[str]:
    """The PMID of each record of a PubmedArticleSet, in order."""
    records = re.split(rb"<PubmedArticle>|<PubmedBookArticle>", xml)[1:]
    return [re.search(rb'<PMID Version="\d+">(\d+)<', r)[1].decode() for r in records]  # type: ignore[index]


def top_level(xml: bytes) -> list[str]:
    """Names of the root's children, in order: the shape of an E-utility answer."""
    names: list[str] = []
    depth = 0

    def start(name: str, attrs: object) -> None:
        nonlocal depth
        depth += 1
        if depth == 2:
            names.append(name)

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(xml, True)
    return names


def raw(eutils: EutilsStandIn, utility: str, **params: str) -> tuple[int, dict[str, str], bytes]:
    """A request that bypasses the client, paced by the process-wide limiter."""
    shared_limiter(with_api_key="api_key" in params).acquire()
    url = f"{eutils.url}{utility}.fcgi?{urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local http)
            return response.status, dict(response.headers), response.read()
    except HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# ---------------------------------------------------------------- efetch


@pytest.mark.parametrize(
    ("ids", "recorded"),
    [
        (["12091962", "9997"], PUBMED1),
        (["11748933", "11700088"], PUBMED2),
        (["37909814"], EMPTY_SET),  # a PMID EFetch cannot serve: an empty set
    ],
)
def test_efetch_returns_the_bytes_ncbi_sent(
    client: EntrezClient, eutils: EutilsStandIn, ids: list[str], recorded: Path
) -> None:
    assert client.efetch_xml(ids) == recorded.read_bytes()
    (request,) = eutils.requests_to("efetch")
    assert request.method == "POST"
    assert request.params["id"] == ",".join(ids)
    assert request.params["retmode"] == "xml"
    assert request.params["email"] == EMAIL
    assert request.params["api_key"] == API_KEY
    assert request.params["tool"] == "evidence-review-tests"


def test_efetch_leaves_out_unknown_ids_in_request_order(client: EntrezClient) -> None:
    xml = client.efetch_xml(["9997", "99999999", "12091962", "9997"])
    assert pmids(xml) == ["9997", "12091962"]


def test_standin_efetch_reproduces_every_recorded_single_record() -> None:
    app = EutilsApp(default_pubmed())
    checked = 0
    for path in sorted((FIXTURES / "pubmed-xml/metapub-0.7.5/pmid_xml").glob("*.xml")):
        body = path.read_bytes()
        if body.startswith(PUBMED_HEAD):
            reply = app.answer("efetch", {"db": "pubmed", "id": path.stem})
            assert reply.body == body, path.name
            checked += 1
    assert checked > 100


def test_long_id_lists_are_posted(client: EntrezClient, eutils: EutilsStandIn) -> None:
    ids = [str(SYNTHETIC_PMID_BASE + i) for i in range(1_000)]  # > 8,190 characters in a URL
    xml = client.efetch_xml(ids)
    assert pmids(xml) == ids
    (request,) = eutils.requests_to("efetch")
    assert request.method == "POST"
    assert "id=" not in request.path
    assert request.params["id"].count(",") == 999


def test_a_long_search_term_is_posted_by_biopython(
    client: EntrezClient, eutils: EutilsStandIn
) -> None:
    term = " OR ".join(f'"phrase {n}"' for n in range(100))  # > 1,000 characters encoded
    client.esearch(term)
    assert eutils.requests_to("esearch")[0].method == "POST"


def test_efetch_of_no_valid_id_is_refused_at_once(
    client: EntrezClient, eutils: EutilsStandIn
) -> None:
    with pytest.raises(HarvestError) as caught:
        client.efetch_xml(["abc"])
    assert caught.value.status == 400
    assert "ID list is empty! Possibly it has no correct IDs." in str(caught.value)
    assert len(eutils.requests) == 1  # a 400 is not retried


def test_synthetic_records_carry_their_own_pmid_and_entrez_date(client: EntrezClient) -> None:
    pmid = SYNTHETIC_PMID_BASE + 7
    xml = client.efetch_xml([pmid])
    assert pmids(xml) == [str(pmid)]
    assert f'<ArticleId IdType="pubmed">{pmid}</ArticleId>'.encode() in xml
    assert b'<PubMedPubDate PubStatus="entrez"><Year>2021</Year><Month>1</Month>' in xml
    expat.ParserCreate().Parse(xml, True)


# ---------------------------------------------------------------- esearch


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        (
            "esearch1.xml",  # esearch(db="pubmed", term="biopython")
            {"count": 63, "n_ids": 20, "webenv": None, "query_key": None, "warnings": ()},
        ),
        (
            "esearch2.xml",  # usehistory="y"
            {"count": 42249, "n_ids": 100, "webenv": "MCID_6927d6e7fee3e90f880ec190"},
        ),
        (
            "esearch8.xml",  # term="abcXYZ": no hits
            {"count": 0, "n_ids": 0, "warnings": ("No items found.",)},
        ),
    ],
)
def test_esearch_reads_recorded_ncbi_answers(
    client: EntrezClient, eutils: EutilsStandIn, recorded: str, expected: dict[str, Any]
) -> None:
    body = (ESEARCH / recorded).read_bytes()
    eutils.inject(Fault.document(ESEARCH / recorded))  # replay NCBI's answer verbatim
    result = client.esearch("any")
    assert result.count == expected["count"]
    assert list(result.ids) == [m.decode() for m in re.findall(rb"<Id>(\d+)</Id>", body)]
    assert len(result.ids) == expected["n_ids"]
    translation = re.search(rb"<QueryTranslation>(.*)</QueryTranslation>", body)
    assert translation is not None
    assert result.query_translation == translation[1].decode()
    for name in ("webenv", "query_key", "warnings"):
        if name in expected:
            assert getattr(result, name) == expected[name]


def test_esearch_reports_phrase_not_found_as_ncbi_does(client: EntrezClient) -> None:
    result = client.esearch("abcXYZ")
    assert result == SearchResult(
        count=0,
        ids=(),
        webenv=None,
        query_key=None,
        query_translation='"abcxyz"[All Fields]',
        warnings=("No items found.",),
        errors=("phrase not found: abcXYZ",),
    )


@pytest.mark.parametrize(
    ("recorded", "params"),
    [
        ("esearch1.xml", {"term": "humans"}),
        ("esearch2.xml", {"term": "humans", "usehistory": "y", "retmax": "100"}),
        ("esearch8.xml", {"term": "abcXYZ"}),
    ],
)
def test_standin_esearch_has_ncbi_shape(
    eutils: EutilsStandIn, recorded: str, params: dict[str, str]
) -> None:
    status, headers, body = raw(eutils, "esearch", db="pubmed", **params)
    fixture = (ESEARCH / recorded).read_bytes()
    assert status == 200
    assert headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert body.split(b"\n", 2)[:2] == fixture.split(b"\n", 2)[:2]  # declaration, DOCTYPE
    assert top_level(body) == top_level(fixture)
    assert body.endswith(b"</eSearchResult>\n") and fixture.endswith(b"</eSearchResult>\n")


def test_standin_term_model() -> None:
    pubmed = default_pubmed()

    def ids(term: str) -> set[int]:
        return set(pubmed.search(term).ids)

    humans, mice, female = ids("humans"), ids("mice"), ids('"female"[tiab]')
    assert humans and mice and female
    assert ids("(humans OR mice) AND female") == (humans | mice) & female
    assert ids("humans female") == humans & female  # adjacent phrases: AND
    assert ids("humans NOT female") == humans - female
    assert ids("9997[uid]") == {9997}
    assert len(ids("all[sb]")) == len(pubmed.articles)
    assert pubmed.search("humans OR abcXYZ").not_found == ["abcXYZ"]


def test_esearch_by_entrez_date(client: EntrezClient) -> None:
    everything = client.esearch("all[sb]", retmax=0)
    first = client.esearch(
        "all[sb]", mindate="2021/01/01", maxdate="2022/12/31", datetype="edat", retmax=0
    )
    rest = client.esearch("all[sb]", mindate="1800", maxdate="2020", datetype="edat", retmax=0)
    later = client.esearch("all[sb]", mindate="2023", maxdate="3000", datetype="edat", retmax=0)
    assert everything.count > 10_000
    assert first.count + rest.count + later.count == everything.count
    assert first.count < 9_999
    assert first.query_translation == "(all[sb]) AND 2021/01/01:2022/12/31[Date - Entry]"


def test_a_date_range_needs_both_ends(client: EntrezClient, eutils: EutilsStandIn) -> None:
    with pytest.raises(ValueError, match="both mindate and maxdate"):
        client.esearch("humans", mindate="2021")
    assert eutils.requests == []


def test_esearch_past_the_ceiling_fails_at_once(
    client: EntrezClient, eutils: EutilsStandIn
) -> None:
    with pytest.raises(HarvestError) as caught:
        client.esearch("all[sb]", retstart=9_999)
    message = str(caught.value)
    assert "'retstart' cannot be larger than 9998" in message
    assert message.startswith("esearch db=pubmed term='all[sb]' retstart=9999 retmax=20")
    assert caught.value.status == 200
    assert len(eutils.requests) == 1  # the ceiling never clears: no retry


def test_a_page_crossing_the_ceiling_is_cut_short_with_a_warning(client: EntrezClient) -> None:
    result = client.esearch("all[sb]", retstart=9_990, retmax=20)
    assert len(result.ids) == 9
    assert result.warnings == ("Restrictions achieved. start and count adjusted to 9990, 9",)


def test_history_search_then_fetch(client: EntrezClient) -> None:
    search = client.esearch("humans", usehistory=True, retmax=30)
    assert search.webenv is not None and search.webenv.startswith("MCID_")
    assert search.query_key == "1"
    xml = client.efetch_xml(webenv=search.webenv, query_key=search.query_key, retmax=30)
    assert pmids(xml) == list(search.ids)


def test_history_fetch_has_the_ceiling_too(client: EntrezClient, eutils: EutilsStandIn) -> None:
    search = client.esearch("all[sb]", usehistory=True, retmax=0)
    assert search.webenv is not None and search.query_key is not None
    tail = client.efetch_xml(
        webenv=search.webenv, query_key=search.query_key, retstart=9_990, retmax=100
    )
    assert len(pmids(tail)) == 9  # cut short without a word
    with pytest.raises(HarvestError) as caught:
        client.efetch_xml(webenv=search.webenv, query_key=search.query_key, retstart=9_999)
    assert caught.value.status == 400
    assert "cannot be larger than 9998" in str(caught.value)


def test_a_lost_history_set_is_reported_at_once(
    client: EntrezClient, eutils: EutilsStandIn, sleeps: Sleeps
) -> None:
    search = client.esearch("humans", usehistory=True, retmax=0)
    assert search.webenv is not None and search.query_key is not None
    eutils.inject(Fault.history_expired(), utility="efetch")
    with pytest.raises(HistorySessionLost) as lost:
        client.efetch_xml(webenv=search.webenv, query_key=search.query_key, retmax=5)
    assert "Unable to obtain query #1" in str(lost.value)
    assert "(after 1 attempt)" in str(lost.value)  # asking again cannot bring it back
    assert len(eutils.requests_to("efetch")) == 1 and sleeps == []


def test_epost_adds_a_set_to_a_session(client: EntrezClient, eutils: EutilsStandIn) -> None:
    search = client.esearch("humans", usehistory=True, retmax=0)
    posted = client.epost(["11748933", "11700088"], webenv=search.webenv)
    assert (posted.webenv, posted.query_key) == (search.webenv, "2")
    xml = client.efetch_xml(webenv=posted.webenv, query_key=posted.query_key)
    assert xml == PUBMED2.read_bytes()


def test_epost_then_efetch(client: EntrezClient, eutils: EutilsStandIn) -> None:
    posted = client.epost(["11748933", "11700088"])
    assert posted.webenv.startswith("MCID_") and posted.query_key == "1"
    assert eutils.requests_to("epost")[0].method == "POST"
    xml = client.efetch_xml(webenv=posted.webenv, query_key=posted.query_key)
    assert xml == PUBMED2.read_bytes()


def test_einfo(client: EntrezClient) -> None:
    info = client.einfo()
    assert (info.name, info.count) == ("pubmed", 39_730_388)
    assert info.build == "Build-2025.11.27.06.33"
    assert info.last_update == "2025/11/27 06:33"


def test_identity_comes_from_settings_not_biopython_globals(
    client: EntrezClient, eutils: EutilsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Entrez, "email", "someone-else@example.org")
    monkeypatch.setattr(Entrez, "api_key", "not-ours")
    client.esearch("humans")
    params = eutils.requests[0].params
    assert (params["email"], params["api_key"]) == (EMAIL, API_KEY)


def test_biopython_warns_when_no_email_is_configured(
    eutils: EutilsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NCBI_EMAIL")
    with pytest.warns(UserWarning, match="Email address is not specified"):
        EntrezClient().esearch("humans")
    assert "email" not in eutils.requests[0].params


# ---------------------------------------------------------------- faults


CALLS: dict[str, Callable[[EntrezClient], object]] = {
    "esearch": lambda client: client.esearch("humans", retmax=50),
    "efetch": lambda client: client.efetch_xml(["12091962", "9997"]),
    "einfo": lambda client: client.einfo(),
}
FAULTS = {
    "429": Fault.rate_limited(retry_after="1"),
    "500": Fault.http_status(500),
    "502": Fault.http_status(502),
    "503": Fault.http_status(503, retry_after="1"),
    "slow": Fault.slow(3.0),  # the client times out after 1 s
    "truncated": Fault.truncated(),
    "dropped": Fault.dropped(),
}
ERROR_DOCUMENTS = [
    ("esearch", "klortho-eutils-json/esearch.baderror.xml"),  # <ERROR>, 2002 DTD
    ("esearch", "biopython-1.88/esummary8.xml"),  # an <ERROR> document of another utility
    ("efetch", "biopython-1.88/pubmed3.html"),  # HTML instead of XML
    ("efetch", "biopython-1.88/epost2.xml"),  # an <ERROR> document at HTTP 200
    ("einfo", "biopython-1.88/einfo4.xml"),  # a real einfo answer, cut short
    ("esearch", "rate-limit/rate_limit_exceeded_ncbi-doc-example.json"),  # JSON at HTTP 200
]
FAULT_CASES = [
    pytest.param(utility, fault, id=f"{utility}-{name}")
    for utility in ("esearch", "efetch")
    for name, fault in FAULTS.items()
] + [
    pytest.param(utility, Fault.document(ERRORS / path), id=f"{utility}-{Path(path).name}")
    for utility, path in ERROR_DOCUMENTS
]


@pytest.mark.parametrize(("utility", "fault"), FAULT_CASES)
def test_each_fault_is_survived_with_the_clean_result(
    client: EntrezClient, eutils: EutilsStandIn, utility: str, fault: Fault
) -> None:
    clean = CALLS[utility](client)
    eutils.inject(fault, utility=utility)
    assert CALLS[utility](client) == clean
    assert len(eutils.requests_to(utility)) == 3  # clean, faulty, retried
    assert eutils.pending_faults == 0
    assert eutils.violations == []


def test_retry_after_is_honoured(
    client: EntrezClient, eutils: EutilsStandIn, sleeps: Sleeps
) -> None:
    eutils.inject(Fault.rate_limited(retry_after="7"))
    eutils.inject(Fault.http_status(503, retry_after="3"))
    client.esearch("humans")
    assert sleeps == [7.0, 3.0]  # not the 0.01 s / 0.02 s backoff


def test_retry_after_is_honoured_in_real_time(eutils: EutilsStandIn) -> None:
    eutils.inject(Fault.rate_limited(retry_after="1"))
    EntrezClient(backoff_base=0.01).esearch("humans")
    refused, retried = eutils.requests
    assert retried.at - refused.at >= 1.0


def test_backoff_doubles_with_jitter_below_the_cap(eutils: EutilsStandIn, sleeps: Sleeps) -> None:
    eutils.inject(Fault.http_status(500), times=4)
    client = EntrezClient(sleep=sleeps, jitter=lambda: 1.0, backoff_base=0.01, backoff_cap=0.03)
    client.esearch("humans")
    assert sleeps == pytest.approx([0.01, 0.02, 0.03, 0.03])
    eutils.inject(Fault.http_status(500), times=2)
    sleeps.clear()
    EntrezClient(sleep=sleeps, jitter=lambda: 0.0, backoff_base=0.01).esearch("humans")
    assert sleeps == pytest.approx([0.005, 0.01])  # jitter takes off up to half


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [
        (Fault.http_status(503), 503, "HTTP 503"),
        (Fault.dropped(), None, "connection failed: IncompleteRead"),
        (Fault.truncated(), 200, "PubmedArticleSet not well-formed"),
    ],
)
def test_the_last_failure_names_the_request(
    eutils: EutilsStandIn, sleeps: Sleeps, fault: Fault, status: int | None, reason: str
) -> None:
    eutils.inject(fault, times=10)
    client = EntrezClient(sleep=sleeps, backoff_base=0.01, max_attempts=3)
    ids = [str(SYNTHETIC_PMID_BASE + n) for n in range(250)]
    with pytest.raises(HarvestError) as caught:
        client.efetch_xml(ids)
    error = caught.value
    assert error.status == status
    assert error.request == "efetch db=pubmed id=60000000,60000001,…,60000249 (250 IDs)"
    assert str(error).startswith(error.request + ": " + reason)
    assert str(error).endswith("(after 3 attempts)")
    assert len(eutils.requests) == 3  # ours, and only ours: Biopython's loop is not used
    assert len(sleeps) == 2


def test_the_api_key_never_reaches_an_error(eutils: EutilsStandIn, sleeps: Sleeps) -> None:
    # NCBI's 429 body names the key; the client must not quote it.
    eutils.inject(Fault.rate_limited(retry_after="0"), times=1)
    status, headers, body = raw(eutils, "esearch", db="pubmed", term="x", api_key=API_KEY)
    assert (status, headers["X-RateLimit-Remaining"]) == (429, "0")
    assert API_KEY.encode() in body
    eutils.inject(Fault.rate_limited(retry_after="0"), times=5)
    with pytest.raises(HarvestError) as caught:
        EntrezClient(sleep=sleeps, max_attempts=5).esearch("humans")
    error = caught.value
    assert error.status == 429
    assert API_KEY not in str(error) and API_KEY not in error.request
    assert API_KEY not in repr(error.args)


# ---------------------------------------------------------------- rate limit


def busiest_second(times: list[float]) -> int:
    """The most requests that arrived within any one second."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))


@pytest.mark.parametrize("with_key", [False, True], ids=["3 per s without key", "10 with key"])
def test_a_burst_never_exceeds_the_rate_limit(
    eutils: EutilsStandIn, monkeypatch: pytest.MonkeyPatch, with_key: bool
) -> None:
    if not with_key:
        monkeypatch.delenv("NCBI_API_KEY")
    limit = 10 if with_key else 3
    failures: list[BaseException] = []

    def worker() -> None:
        client = EntrezClient()  # a client per thread: the limiter is process-wide
        for _ in range(10):
            try:
                client.esearch("humans", retmax=1)
            except HarvestError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(eutils.requests) == 30
    assert eutils.violations == []
    assert busiest_second([r.at for r in eutils.requests]) <= limit


def test_the_standin_enforces_the_rate_limit(eutils: EutilsStandIn) -> None:
    """The control for the burst test: a client without a limiter is caught."""
    url = f"{eutils.url}esearch.fcgi?db=pubmed&term=humans"
    statuses, bodies = [], []
    for _ in range(5):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local http)
                statuses.append(response.status)
        except HTTPError as exc:
            statuses.append(exc.code)
            bodies.append(exc.read())
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    assert (
        bodies[0]
        == b'{"error":"API rate limit exceeded","api-key":"127.0.0.1","count":"4","limit":"3"}'
    )
    assert eutils.violations and eutils.violations[0].limit == 3


def test_the_limiter_lets_no_window_hold_more_than_the_rate() -> None:
    """Twelve threads at once, 3 a second without a key: each gets a start of its own,
    and no ``headroom`` seconds hold more than three."""
    clock = [100.0]
    waits: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            waits.append(seconds)

    limiter = RateLimiter(3.0, clock=lambda: clock[0], sleep=sleep)
    threads = [threading.Thread(target=limiter.acquire) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    window, gap = HEADROOM_WITHOUT_KEY, (1 + ANSWERED_MARGIN) / 3
    expected = [k // 3 * window + k % 3 * gap for k in range(1, 12)]
    assert sorted(waits) == pytest.approx(expected)


def test_eleven_requests_span_a_window() -> None:
    """Ten starts at the least gap allowed, and the eleventh no sooner than a window
    after the first."""
    clock = [0.0]
    starts: list[float] = []

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    limiter = RateLimiter(10.0, headroom=HEADROOM_WITH_KEY, clock=lambda: clock[0], sleep=sleep)
    for _ in range(11):
        limiter.acquire()
        starts.append(clock[0])
    gap = (1 + ANSWERED_MARGIN) / 10
    assert starts[:10] == pytest.approx([k * gap for k in range(10)])
    assert starts[10] == pytest.approx(HEADROOM_WITH_KEY)


@pytest.mark.parametrize("answer_after", [0.005, 0.04, 0.2])
def test_a_request_answered_soon_clears_its_window_a_second_after_its_answer(
    answer_after: float,
) -> None:
    """A request has arrived by the time its answer begins, so a second after that no
    window holds both it and a new start; an answer later than the starts rule allows
    for leaves that rule in force, never a later start."""
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    limiter = RateLimiter(10.0, headroom=HEADROOM_WITH_KEY, clock=lambda: clock[0], sleep=sleep)
    tickets = [limiter.acquire()]
    while len(tickets) < 11:
        if tickets[0].answered is None and clock[0] + limiter.interval > answer_after:
            clock[0] = answer_after  # the first answer begins before the next start
            limiter.answered(tickets[0])
        tickets.append(limiter.acquire())
    starts = [t.started for t in tickets]
    assert tickets[0].answered == pytest.approx(answer_after)
    by_answer = answer_after + 1 + ANSWERED_MARGIN
    assert starts[10] == pytest.approx(min(by_answer, HEADROOM_WITH_KEY))


def test_an_unanswered_request_keeps_the_starts_rule() -> None:
    """A request that failed before any answer may still wait in the server's queue:
    its window counts from its start, with the full headroom."""
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    limiter = RateLimiter(10.0, headroom=HEADROOM_WITH_KEY, clock=lambda: clock[0], sleep=sleep)
    tickets = [limiter.acquire() for _ in range(11)]
    assert all(t.answered is None for t in tickets)
    assert tickets[10].started == pytest.approx(HEADROOM_WITH_KEY)


class RecordingLimiter(RateLimiter):
    """The real limiter, keeping every ticket it hands out."""

    def __init__(self) -> None:
        super().__init__(10.0, headroom=HEADROOM_WITH_KEY)
        self.tickets: list[Ticket] = []

    def acquire(self) -> Ticket:
        ticket = super().acquire()
        self.tickets.append(ticket)
        return ticket


def test_the_client_counts_answers_and_refusals_but_not_silence(eutils: EutilsStandIn) -> None:
    """Through the real client and the stand-in: a 200, a 503 and an answer cut short
    all began, so the request had arrived; a request given up on before any answer may
    still be waiting at the server, and keeps the starts rule."""
    limiter = RecordingLimiter()
    client = EntrezClient(limiter=limiter, sleep=lambda s: None, max_attempts=2, timeout=0.3)
    client.esearch("humans", retmax=1)
    for fault in (Fault.http_status(503), Fault.dropped(), Fault.slow(1.0)):
        eutils.inject(fault, times=1)
        client.esearch("humans", retmax=1)
    tickets = limiter.tickets
    assert [t.answered is not None for t in tickets] == [True, True, True, True, True, False, True]
    assert all(t.answered >= t.started for t in tickets if t.answered is not None)


def test_a_late_start_does_not_crowd_the_ones_after_it() -> None:
    """A thread woken 60 ms after its turn: the tenth start after it still keeps a
    window away from it, so no second ever holds eleven."""
    clock = [0.0]
    late = {11: 0.06}  # the eleventh start comes 60 ms late
    starts: list[float] = []

    def sleep(seconds: float) -> None:
        clock[0] += seconds + late.pop(len(starts) + 1, 0.0)

    limiter = RateLimiter(10.0, headroom=HEADROOM_WITH_KEY, clock=lambda: clock[0], sleep=sleep)
    for _ in range(25):
        limiter.acquire()
        starts.append(clock[0])
    assert starts[10] == pytest.approx(HEADROOM_WITH_KEY + 0.06)
    assert (
        min(later - first for first, later in zip(starts[:-10], starts[10:], strict=True))
        >= HEADROOM_WITH_KEY - 1e-9
    )
    # The tenth start after the late one waited for it, not for its reserved time.
    assert starts[20] == pytest.approx(starts[10] + HEADROOM_WITH_KEY)


def test_the_limiter_is_shared_by_all_clients(eutils: EutilsStandIn) -> None:
    assert EntrezClient().limiter is EntrezClient().limiter is shared_limiter(with_api_key=True)


def test_the_limiter_lets_an_idle_client_go_at_once() -> None:
    now = [0.0]
    waits: list[float] = []
    limiter = RateLimiter(10.0, clock=lambda: now[0], sleep=waits.append)
    limiter.acquire()
    now[0] = 5.0
    limiter.acquire()
    assert waits == []


def test_no_warnings_from_a_clean_run(client: EntrezClient) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.esearch("humans")
        client.efetch_xml(["9997"])
