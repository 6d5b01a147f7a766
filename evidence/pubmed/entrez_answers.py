"""Reading and judging NCBI's E-utility answers, for :mod:`evidence.pubmed.entrez`.

Each ``read_*`` function turns the bytes of one answer into what the client
returns, or raises a :class:`Failure` (:func:`http_failure` makes one from an
HTTP error): why the attempt failed, and whether another attempt may help (429,
5xx, transient backend trouble, a cut body) or cannot (other 4xx, the
9,999-record ceiling). :func:`describe_request` names a request in messages
without its API key.
"""

from __future__ import annotations

import http.client
import io
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Any, TypeVar
from urllib.error import HTTPError
from xml.parsers import expat

from Bio import Entrez

from evidence.errors import MalformedXml

T = TypeVar("T")

# Biopython is untyped; this name gives its function the type we rely on.
_entrez_read: Callable[..., Any] = Entrez.read

# The one NCBI refusal at HTTP 200 that repeating can never cure (see
# reference/entrez-notes.md): esearch past record 9,999 of a large result.
_CEILING = re.compile(r"cannot be larger than 9998|out of acceptable range")
_ERROR_ELEMENT = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


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


class Failure(Exception):
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


def http_failure(exc: HTTPError) -> Failure:
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
    return Failure(
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


def ncbi_refusal(message: str) -> Failure:
    # An <ERROR> at HTTP 200 is how NCBI reports transient backend trouble
    # ("Unable to obtain query #1", "Search Backend failed: …address table is
    # empty"), so it is retried - except the ceiling, which never clears.
    retryable = _CEILING.search(message) is None
    return Failure(f"NCBI error: {message}", retryable=retryable, status=200)


def _read_entrez(body: bytes, expected_root: str) -> Mapping[str, Any]:
    try:
        # validate=False: an element NCBI adds later must not fail the harvest.
        # ignore_errors=True: <ERROR> comes back as data, for us to judge.
        record = _entrez_read(io.BytesIO(body), validate=False, ignore_errors=True)
    except (ValueError, RuntimeError) as exc:
        # CorruptedXMLError (truncated), NotXMLError (HTML, JSON), a DTD
        # Biopython refuses to fetch: all are a bad answer, not a bad request.
        reason = f"unreadable {expected_root}: {type(exc).__name__}"
        raise Failure(reason, retryable=True, status=200) from exc
    if getattr(record, "tag", None) != expected_root or not isinstance(record, Mapping):
        message = ncbi_error_text(body)
        if message:
            raise ncbi_refusal(message)
        raise Failure(f"expected {expected_root}", retryable=True, status=200)
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


def read_search_result(body: bytes) -> SearchResult:
    record = _read_entrez(body, "eSearchResult")
    if "Count" not in record:
        # An <ERROR>-only document: not a zero-hit result (treating it as one
        # is the bug pubmed-mcp-server#95 describes).
        raise ncbi_refusal(ncbi_error_text(body) or "eSearchResult without Count")
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


def read_history_key(body: bytes) -> HistoryKey:
    record = _read_entrez(body, "ePostResult")
    if "WebEnv" not in record:
        raise ncbi_refusal(ncbi_error_text(body) or "ePostResult without WebEnv")
    return HistoryKey(webenv=str(record["WebEnv"]), query_key=str(record["QueryKey"]))


def read_db_info(body: bytes) -> DbInfo:
    record = _read_entrez(body, "eInfoResult")
    found = record.get("DbInfo")
    info = found[0] if isinstance(found, list) and found else found
    if not isinstance(info, Mapping):
        raise ncbi_refusal(ncbi_error_text(body) or "eInfoResult without DbInfo")
    return DbInfo(
        name=str(info["DbName"]),
        count=int(info["Count"]),
        last_update=str(info["LastUpdate"]),
        build=str(info["DbBuild"]),
    )


def _check_article_set(body: bytes) -> None:
    """A PubmedArticleSet by its root element, or NCBI's error document read out."""
    first = _ROOT_ELEMENT.search(body)
    root = first.group(1).decode() if first else ""
    if root != "PubmedArticleSet":
        message = ncbi_error_text(body)
        if message:
            raise ncbi_refusal(message)
        raise Failure(
            f"expected PubmedArticleSet, got {root or 'no XML'}", retryable=True, status=200
        )


def read_pubmed_xml(body: bytes) -> bytes:
    """Accept only a complete PubmedArticleSet, and give it as sent (``efetch_xml``).

    Biopython cannot help here: ``Entrez.parse`` rejects PubmedArticleSet and
    ``Entrez.read`` holds the whole answer in memory. expat checks every byte
    without building a tree, so a cut body is caught and retried.
    """
    _check_article_set(body)
    try:
        expat.ParserCreate().Parse(body, True)
    except expat.ExpatError as exc:
        reason = f"PubmedArticleSet not well-formed ({exc})"
        raise Failure(reason, retryable=True, status=200) from exc
    return body


def article_set_reader(parse: Callable[[bytes], T]) -> Callable[[bytes], T]:
    """Read a PubmedArticleSet with ``parse``, which must raise :class:`MalformedXml`
    for a body that is not well-formed: such a body was cut or garbled on its way, and
    is asked for again.

    For a caller that parses every answer anyway: the parse is the check, so the
    answer is not read twice (``read_pubmed_xml`` reads it once to check it).
    """

    def read(body: bytes) -> T:
        _check_article_set(body)
        try:
            return parse(body)
        except MalformedXml as exc:
            raise Failure(
                f"PubmedArticleSet not well-formed ({exc})", retryable=True, status=200
            ) from exc

    return read
