"""A PubMed client for the NCBI E-utilities, built on Biopython's ``Bio.Entrez``.

Biopython builds every request (``_build_request``: parameters, ID joining, the
GET/POST choice) and parses every E-utility answer (``Entrez.read``), so what
the harvester sends and reads is what Biopython sends and reads. Three things
are ours, because Biopython 1.88 cannot give them:

* **The base URL.** Each ``Bio.Entrez`` function writes NCBI's address into its
  body (``cgi = "https://eutils.ncbi.nlm.nih.gov/..."``); nothing in the module
  changes it. The one seam Biopython documents below those functions is
  ``_build_request(cgi, params, post)`` - its docstring names ``cgi`` as "base
  URL for the CGI script" - so we call it with ``settings.eutils_url`` in place
  of NCBI's address. Patching ``urlopen`` or the module would change every other
  user of ``Bio.Entrez`` in the process; this changes nothing shared.
* **The transport and the retries.** ``Bio.Entrez._open`` retries 429 and 5xx at
  once without reading ``Retry-After``, does not catch a connection reset, has
  no timeout (a stalled answer hangs the harvest), and spaces requests through a
  module-global timer with ``time.sleep``. We therefore send the request
  ourselves (``urlopen`` with a timeout) and never enter ``_open``: Biopython's
  ``max_tries`` does not apply at all, which is stronger than setting it to 1
  (that would still change a global every other caller shares).
* **The rate limit**, process-wide and thread-safe (:class:`RateLimiter`).

Errors: a request that fails after the last attempt, or that NCBI refuses for
good (4xx, the 9,999-record ceiling), raises :class:`HarvestError` naming the
utility and its key parameters; the API key is never part of a message.
"""

from __future__ import annotations

import http.client
import io
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Any, TypeVar
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen
from xml.parsers import expat

from Bio import Entrez

from evidence.config import Settings, load_settings
from evidence.errors import HarvestError, HistorySessionLost

T = TypeVar("T")

# Biopython is untyped; these two names give its functions the types we rely on.
_entrez_build_request: Callable[..., Request] = Entrez._build_request
_entrez_read: Callable[..., Any] = Entrez.read

DB = "pubmed"
DEFAULT_EFETCH_RETMAX = 500
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
# NCBI counts requests on arrival, so starts are spaced wider than 1/rate to leave
# room for jitter between our clock and theirs. Without a key this is Biopython's
# 0.37 s (it found 1/3 s too tight in practice). With a key, eleven requests can
# arrive within one second only if the network shifts them by over 50 ms in all;
# 20 ms was not enough against the stand-in on a busy 2-core machine.
HEADROOM_WITHOUT_KEY = 1.11
HEADROOM_WITH_KEY = 1.05
# The one NCBI refusal at HTTP 200 that repeating can never cure (see
# reference/entrez-notes.md): esearch past record 9,999 of a large result.
_CEILING = re.compile(r"cannot be larger than 9998|out of acceptable range")
# What efetch says of a history set it no longer holds: WebEnvs live for hours only
# ("8 hours is a good rule of thumb", NCBI via ropensci/rentrez#110).
_LOST_SET = re.compile(r"Unable to obtain query|Cannot retrieve history data(?!: OUT OF RANGE)")
_ERROR_ELEMENT = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


class RateLimiter:
    """Spaces request starts ``headroom / per_second`` apart, across threads.

    Each caller reserves the next free start time under the lock and sleeps
    outside it, so waiting threads queue in order without holding the lock.
    """

    def __init__(
        self,
        per_second: float,
        *,
        headroom: float = HEADROOM_WITHOUT_KEY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = headroom / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = float("-inf")

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            self._sleep(start - now)


# NCBI counts requests with a key against the key and the rest against the
# address, so a process has one budget of each kind, shared by every client.
_SHARED_LIMITERS = {
    False: RateLimiter(RATE_WITHOUT_KEY, headroom=HEADROOM_WITHOUT_KEY),
    True: RateLimiter(RATE_WITH_KEY, headroom=HEADROOM_WITH_KEY),
}


def shared_limiter(*, with_api_key: bool) -> RateLimiter:
    """The process-wide limiter for requests with or without an API key."""
    return _SHARED_LIMITERS[with_api_key]


@dataclass(frozen=True)
class SearchResult:
    """One esearch page. ``errors`` and ``warnings`` keep NCBI's own split:
    ``ErrorList`` (phrase or field not found) and ``WarningList`` ("No items
    found.", "Restrictions achieved. start and count adjusted …", ignored
    phrases). A page that NCBI cut short says so only in ``warnings``."""

    count: int
    ids: tuple[str, ...]
    webenv: str | None
    query_key: str | None
    query_translation: str
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryKey:
    """A set stored on NCBI's history server (from epost)."""

    webenv: str
    query_key: str


@dataclass(frozen=True)
class DbInfo:
    """What einfo says of one database: its size and when it was last rebuilt."""

    name: str
    count: int
    last_update: str
    build: str


class _Failure(Exception):
    """One failed attempt: why, whether another attempt may help, and when."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class EntrezClient:
    """esearch / efetch / epost / einfo against ``settings.eutils_url``."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        timeout: float = 60.0,
    ) -> None:
        self.settings = settings or load_settings()
        if urlsplit(self.settings.eutils_url).scheme not in ("http", "https"):
            raise ValueError(f"E-utilities URL must be http(s): {self.settings.eutils_url}")
        has_key = self.settings.ncbi_api_key is not None
        self.limiter = limiter or shared_limiter(with_api_key=has_key)
        self._sleep = sleep
        self._jitter = jitter
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout

    # ------------------------------------------------------------ utilities

    def esearch(
        self,
        term: str,
        *,
        usehistory: bool = False,
        webenv: str | None = None,
        retstart: int = 0,
        retmax: int = 20,
        mindate: str | None = None,
        maxdate: str | None = None,
        datetype: str | None = None,
    ) -> SearchResult:
        # NCBI ignores a date range with only one end, silently: refuse it here.
        if (mindate is None) != (maxdate is None):
            raise ValueError("esearch needs both mindate and maxdate, or neither")
        params: dict[str, Any] = {
            "db": DB,
            "term": term,
            "retstart": retstart,
            "retmax": retmax,
            "usehistory": "y" if usehistory else None,
            "WebEnv": webenv,
            "mindate": mindate,
            "maxdate": maxdate,
            "datetype": datetype,
        }
        # post=None: Biopython switches to POST when the encoded term is long.
        return self._call("esearch", params, post=None, accept=_search_result)

    def efetch_xml(
        self,
        ids: Iterable[str | int] | None = None,
        *,
        webenv: str | None = None,
        query_key: str | None = None,
        retstart: int = 0,
        retmax: int = DEFAULT_EFETCH_RETMAX,
    ) -> bytes:
        """PubmedArticleSet XML, as sent, for an ID list or a history set."""
        params: dict[str, Any] = {"db": DB, "retmode": "xml"}
        if ids is not None and webenv is None and query_key is None:
            # POST: an ID list in a GET URL fails past ~8,190 characters (414).
            params["id"] = [str(i) for i in ids]
            return self._call("efetch", params, post=True, accept=_pubmed_xml)
        if ids is None and webenv and query_key:
            params |= {
                "WebEnv": webenv,
                "query_key": query_key,
                "retstart": retstart,
                "retmax": retmax,
            }
            return self._call("efetch", params, post=None, accept=_pubmed_xml, history=True)
        raise ValueError("efetch_xml needs either ids or both webenv and query_key")

    def epost(self, ids: Iterable[str | int], *, webenv: str | None = None) -> HistoryKey:
        """Store ``ids`` on the history server; with ``webenv``, as a new set beside
        that session's others."""
        params: dict[str, Any] = {"db": DB, "id": [str(i) for i in ids], "WebEnv": webenv}
        return self._call("epost", params, post=True, accept=_history_key)

    def einfo(self, db: str = DB) -> DbInfo:
        return self._call("einfo", {"db": db}, post=None, accept=_db_info)

    # ------------------------------------------------------------ attempts

    def _call(
        self,
        utility: str,
        params: dict[str, Any],
        *,
        post: bool | None,
        accept: Callable[[bytes], T],
        history: bool = False,
    ) -> T:
        request = self._build_request(utility, params, post)
        attempt = 1
        while True:
            try:
                return accept(self._send(request))
            except _Failure as failure:
                if history and _LOST_SET.search(failure.reason):
                    # Another attempt at a set NCBI no longer holds cannot succeed.
                    error = self._error(utility, params, failure, attempt)
                    raise HistorySessionLost(
                        str(error), request=error.request, status=error.status
                    ) from failure
                if not failure.retryable or attempt >= self.max_attempts:
                    raise self._error(utility, params, failure, attempt) from failure.__cause__
                self._sleep(self._delay(attempt, failure.retry_after))
                attempt += 1

    def _build_request(self, utility: str, params: dict[str, Any], post: bool | None) -> Request:
        # Identity goes in explicitly, so Bio.Entrez.email/tool/api_key (module
        # globals other code may set) never leak into our requests. None values
        # are dropped by Biopython; a missing email makes it warn, as NCBI asks.
        identity = {
            "tool": self.settings.ncbi_tool,
            "email": self.settings.ncbi_email,
            "api_key": self.settings.ncbi_api_key,
        }
        cgi = f"{self.settings.eutils_url}{utility}.fcgi"
        return _entrez_build_request(cgi, {**params, **identity}, post=post)

    def _send(self, request: Request) -> bytes:
        self.limiter.acquire()  # every attempt counts against NCBI's limit
        try:
            # The scheme was checked in __init__ (http/https only).
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return bytes(response.read())
        except HTTPError as exc:
            raise _http_failure(exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts, ConnectionResetError, RemoteDisconnected and
            # IncompleteRead (a body cut short of its Content-Length) all land here.
            raise _Failure(f"connection failed: {type(exc).__name__}", retryable=True) from exc

    def _delay(self, retry: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter, never shorter than Retry-After."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (retry - 1))
        backoff = ceiling * (0.5 + 0.5 * self._jitter())  # spreads retrying clients
        return max(backoff, retry_after or 0.0)

    def _error(
        self, utility: str, params: Mapping[str, Any], failure: _Failure, attempts: int
    ) -> HarvestError:
        request = describe_request(utility, params)
        tries = f"{attempts} attempt" + ("s" if attempts > 1 else "")
        message = f"{request}: {failure.reason} (after {tries})"
        key = self.settings.ncbi_api_key
        if key:  # NCBI echoes the key in some bodies; never pass it on
            message = message.replace(key, "[api_key]")
        return HarvestError(message, request=request, status=failure.status)


# ---------------------------------------------------------------- describing


_DESCRIBED_PARAMS = (
    "db",
    "term",
    "id",
    "WebEnv",
    "query_key",
    "retstart",
    "retmax",
    "mindate",
    "maxdate",
    "datetype",
    "usehistory",
)


def describe_request(utility: str, params: Mapping[str, Any]) -> str:
    """``utility`` and its key parameters, from a whitelist: never the API key."""
    parts = [utility]
    for name in _DESCRIBED_PARAMS:
        value = params.get(name)
        if value is not None:
            parts.append(f"{name}={_describe_value(name, value)}")
    return " ".join(parts)


def _describe_value(name: str, value: Any) -> str:
    if name == "id":
        ids = [str(i) for i in value] if isinstance(value, list) else str(value).split(",")
        shown = ",".join(ids) if len(ids) <= 5 else f"{ids[0]},{ids[1]},…,{ids[-1]}"
        return f"{shown} ({len(ids)} IDs)"
    text = str(value)
    return repr(text if len(text) <= 200 else text[:199] + "…") if name == "term" else text


# ---------------------------------------------------------------- responses


def _http_failure(exc: HTTPError) -> _Failure:
    status = exc.code
    try:
        body = exc.read()
    except (OSError, http.client.HTTPException):
        body = b""
    finally:
        exc.close()
    # Only NCBI's <ERROR> text is quoted: a 429 body is JSON that echoes the key.
    message = ncbi_error_text(body)
    reason = f"HTTP {status}" + (f": {message}" if message else "")
    return _Failure(
        reason,
        retryable=status == 429 or status >= 500,
        status=status,
        retry_after=parse_retry_after(exc.headers.get("Retry-After")),
    )


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return None


def ncbi_error_text(body: bytes) -> str:
    """The text of every ``<ERROR>`` of an NCBI answer, joined.

    Read with a regular expression, not ``Entrez.read``: Biopython keeps only
    the last of several ``<ERROR>`` elements (epost3.xml has two), and it would
    fetch efetch.dtd from NCBI to read an eFetchResult, as it does not ship it.
    """
    found = [unescape(m.decode("utf-8", "replace")).strip() for m in _ERROR_ELEMENT.findall(body)]
    return "; ".join(text for text in found if text)


def _ncbi_refusal(message: str) -> _Failure:
    # An <ERROR> at HTTP 200 is how NCBI reports transient backend trouble
    # ("Unable to obtain query #1", "Search Backend failed: …address table is
    # empty"), so it is retried - except the ceiling, which never clears.
    retryable = _CEILING.search(message) is None
    return _Failure(f"NCBI error: {message}", retryable=retryable, status=200)


def _read_entrez(body: bytes, expected_root: str) -> Mapping[str, Any]:
    try:
        # validate=False: an element NCBI adds later must not fail the harvest.
        # ignore_errors=True: <ERROR> comes back as data, for us to judge.
        record = _entrez_read(io.BytesIO(body), validate=False, ignore_errors=True)
    except (ValueError, RuntimeError) as exc:
        # CorruptedXMLError (truncated), NotXMLError (HTML, JSON), a DTD
        # Biopython refuses to fetch: all are a bad answer, not a bad request.
        reason = f"unreadable {expected_root}: {type(exc).__name__}"
        raise _Failure(reason, retryable=True, status=200) from exc
    if getattr(record, "tag", None) != expected_root or not isinstance(record, Mapping):
        message = ncbi_error_text(body)
        if message:
            raise _ncbi_refusal(message)
        raise _Failure(f"expected {expected_root}", retryable=True, status=200)
    return record


_WARNING_LABELS = {
    "OutputMessage": "",
    "PhraseIgnored": "phrase ignored: ",
    "QuotedPhraseNotFound": "quoted phrase not found: ",
}
_ERROR_LABELS = {"PhraseNotFound": "phrase not found: ", "FieldNotFound": "field not found: "}


def _labelled(section: Any, labels: Mapping[str, str]) -> tuple[str, ...]:
    if not isinstance(section, Mapping):
        return ()
    return tuple(f"{label}{item}" for key, label in labels.items() for item in section.get(key, ()))


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def _search_result(body: bytes) -> SearchResult:
    record = _read_entrez(body, "eSearchResult")
    if "Count" not in record:
        # An <ERROR>-only document: not a zero-hit result (treating it as one
        # is the bug pubmed-mcp-server#95 describes).
        raise _ncbi_refusal(ncbi_error_text(body) or "eSearchResult without Count")
    top_error = str(record.get("ERROR") or "")
    return SearchResult(
        count=int(record["Count"]),
        ids=tuple(str(i) for i in record.get("IdList", ())),
        webenv=_optional(record.get("WebEnv")),
        query_key=_optional(record.get("QueryKey")),
        query_translation=str(record.get("QueryTranslation", "")),
        warnings=_labelled(record.get("WarningList"), _WARNING_LABELS),
        errors=_labelled(record.get("ErrorList"), _ERROR_LABELS) + ((top_error,) * bool(top_error)),
    )


def _history_key(body: bytes) -> HistoryKey:
    record = _read_entrez(body, "ePostResult")
    if "WebEnv" not in record:
        raise _ncbi_refusal(ncbi_error_text(body) or "ePostResult without WebEnv")
    return HistoryKey(webenv=str(record["WebEnv"]), query_key=str(record["QueryKey"]))


def _db_info(body: bytes) -> DbInfo:
    record = _read_entrez(body, "eInfoResult")
    found = record.get("DbInfo")
    info = found[0] if isinstance(found, list) and found else found
    if not isinstance(info, Mapping):
        raise _ncbi_refusal(ncbi_error_text(body) or "eInfoResult without DbInfo")
    return DbInfo(
        name=str(info["DbName"]),
        count=int(info["Count"]),
        last_update=str(info["LastUpdate"]),
        build=str(info["DbBuild"]),
    )


def _pubmed_xml(body: bytes) -> bytes:
    """Accept only a complete PubmedArticleSet; the harvester parses it later.

    Biopython cannot help here: ``Entrez.parse`` rejects PubmedArticleSet and
    ``Entrez.read`` holds the whole answer in memory. expat checks every byte
    without building a tree, so a cut body is caught and retried.
    """
    first = _ROOT_ELEMENT.search(body)
    root = first.group(1).decode() if first else ""
    if root != "PubmedArticleSet":
        message = ncbi_error_text(body)
        if message:
            raise _ncbi_refusal(message)
        raise _Failure(
            f"expected PubmedArticleSet, got {root or 'no XML'}", retryable=True, status=200
        )
    try:
        expat.ParserCreate().Parse(body, True)
    except expat.ExpatError as exc:
        reason = f"PubmedArticleSet not well-formed ({exc})"
        raise _Failure(reason, retryable=True, status=200) from exc
    return body
