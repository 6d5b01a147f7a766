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
* **The rate limit**, process-wide and thread-safe
  (:class:`~evidence.pubmed.rate_limit.RateLimiter`).

Reading NCBI's answers, and judging which failures another attempt may cure,
is :mod:`evidence.pubmed.entrez_answers`.

Errors: a request that fails after the last attempt, or that NCBI refuses for
good (4xx, the 9,999-record ceiling), raises :class:`HarvestError` naming the
utility and its key parameters; the API key is never part of a message.
"""

from __future__ import annotations

import http.client
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from Bio import Entrez

from evidence.config import Settings, load_settings
from evidence.errors import HarvestError, HistorySessionLost
from evidence.pubmed.entrez_answers import (
    DbInfo,
    Failure,
    HistoryKey,
    SearchResult,
    describe_request,
    http_failure,
    read_db_info,
    read_history_key,
    read_pubmed_xml,
    read_search_result,
)
from evidence.pubmed.rate_limit import RateLimiter, shared_limiter

T = TypeVar("T")

# Biopython is untyped; this name gives its function the type we rely on.
_entrez_build_request: Callable[..., Request] = Entrez._build_request

DB = "pubmed"
DEFAULT_EFETCH_RETMAX = 500
# What efetch says of a history set it no longer holds: WebEnvs live for hours only
# ("8 hours is a good rule of thumb", NCBI via ropensci/rentrez#110).
_LOST_SET = re.compile(r"Unable to obtain query|Cannot retrieve history data(?!: OUT OF RANGE)")


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
        return self._call("esearch", params, post=None, accept=read_search_result)

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
        return self.efetch(
            ids,
            webenv=webenv,
            query_key=query_key,
            retstart=retstart,
            retmax=retmax,
            read=read_pubmed_xml,
        )

    def efetch(
        self,
        ids: Iterable[str | int] | None = None,
        *,
        webenv: str | None = None,
        query_key: str | None = None,
        retstart: int = 0,
        retmax: int = DEFAULT_EFETCH_RETMAX,
        read: Callable[[bytes], T],
    ) -> T:
        """An efetch answer as ``read`` makes it: an ID list or a history set.

        ``read`` judges the answer (``read_pubmed_xml``, ``article_set_reader``): a
        body it refuses as retryable is asked for again like any failed attempt.
        """
        params: dict[str, Any] = {"db": DB, "retmode": "xml"}
        if ids is not None and webenv is None and query_key is None:
            # POST: an ID list in a GET URL fails past ~8,190 characters (414).
            params["id"] = [str(i) for i in ids]
            return self._call("efetch", params, post=True, accept=read)
        if ids is None and webenv and query_key:
            params |= {
                "WebEnv": webenv,
                "query_key": query_key,
                "retstart": retstart,
                "retmax": retmax,
            }
            return self._call("efetch", params, post=None, accept=read, history=True)
        raise ValueError("efetch needs either ids or both webenv and query_key")

    def epost(self, ids: Iterable[str | int], *, webenv: str | None = None) -> HistoryKey:
        """Store ``ids`` on the history server; with ``webenv``, as a new set beside
        that session's others."""
        params: dict[str, Any] = {"db": DB, "id": [str(i) for i in ids], "WebEnv": webenv}
        return self._call("epost", params, post=True, accept=read_history_key)

    def einfo(self, db: str = DB) -> DbInfo:
        return self._call("einfo", {"db": db}, post=None, accept=read_db_info)

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
            except Failure as failure:
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
        ticket = self.limiter.acquire()  # every attempt counts against NCBI's limit
        try:
            # The scheme was checked in __init__ (http/https only).
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                self.limiter.answered(ticket)  # the status line is in: it has arrived
                return bytes(response.read())
        except HTTPError as exc:
            self.limiter.answered(ticket)  # a refusal is an answer too
            raise http_failure(exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts, ConnectionResetError, RemoteDisconnected and
            # IncompleteRead (a body cut short of its Content-Length) all land here.
            # Not counted as answered: a request given up on may still wait in the
            # server's queue, to arrive later.
            raise Failure(f"connection failed: {type(exc).__name__}", retryable=True) from exc

    def _delay(self, retry: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter, never shorter than Retry-After."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (retry - 1))
        backoff = ceiling * (0.5 + 0.5 * self._jitter())  # spreads retrying clients
        return max(backoff, retry_after or 0.0)

    def _error(
        self, utility: str, params: Mapping[str, Any], failure: Failure, attempts: int
    ) -> HarvestError:
        request = describe_request(utility, params)
        tries = f"{attempts} attempt" + ("s" if attempts > 1 else "")
        message = f"{request}: {failure.reason} (after {tries})"
        key = self.settings.ncbi_api_key
        if key:  # NCBI echoes the key in some bodies; never pass it on
            message = message.replace(key, "[api_key]")
        return HarvestError(message, request=request, status=failure.status)
