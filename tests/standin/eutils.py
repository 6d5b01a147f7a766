"""A stand-in for NCBI's E-utilities: a small threaded HTTP server on 127.0.0.1.

It serves ``esearch.fcgi``, ``efetch.fcgi``, ``epost.fcgi`` and ``einfo.fcgi`` for
``db=pubmed`` from an in-memory PubMed made of the real records in
``fixtures/pubmed-xml/`` (the files recorded with NCBI's 2025 EFetch layout), plus
optional synthetic copies of them with new PMIDs and Entrez dates, so that a query can
pass the 10,000-hit mark. Its answers copy NCBI's byte layout where the fixtures show
it, and NCBI's documented behaviour where they do not (``reference/entrez-notes.md``):

* esearch: the 9,999 ceiling (``<ERROR>`` at HTTP 200 past ``retstart`` 9998 when the
  count is over 9,999; a page crossing it is cut short with "Restrictions achieved");
  ``usehistory``/``WebEnv``/``query_key``; ``mindate``/``maxdate`` with
  ``datetype=edat`` (both ends required, as at NCBI); "No items found." and
  ``PhraseNotFound``.
* efetch: an ID list (GET or POST) in request order, unknown IDs silently absent, no
  valid ID at all → HTTP 400 "ID list is empty! …"; a history set with the same
  ceiling for search-made sets, HTTP 400 past its end.
* The rate limit (3 requests/s, 10 with an ``api_key``), counted on arrival over a
  sliding second; an excess request gets NCBI's 429 JSON and is kept in
  :attr:`EutilsStandIn.violations`.
* Faults on demand (:class:`Fault`), for the next N requests or the next N to one
  utility; every request is kept in :attr:`EutilsStandIn.requests`.

The term model (the stand-in's own, documented here): a query is phrases joined by
``AND``/``OR``/``NOT`` with parentheses, adjacent phrases meaning ``AND``. A phrase
(a bare word or a "quoted phrase") matches a record whose text - every element's text,
the stand-in's ``[All Fields]`` - contains it as whole words, ignoring case; a
``[field]`` tag is ignored, except ``all[sb]`` (every record) and ``N[uid]``/``N[pmid]``.
Results are sorted newest Entrez date first, then by PMID descending.
"""

from __future__ import annotations

import functools
import html
import json
import lzma
import os
import re
import secrets
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

# The shared folder sits beside the checkout (as in tests/conftest.py).
FIXTURES = Path(
    os.environ.get("EVIDENCE_FIXTURES")
    or Path(__file__).resolve().parents[3] / "shared" / "fixtures"
)

BULK_FILE = FIXTURES / "pubmed-xml" / "bulk" / "pubmed21n1298.xml.xz"
XML_TYPE = "text/xml; charset=UTF-8"
PUBMED_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle,'
    b' 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    b"<PubmedArticleSet>\n"
)
PUBMED_TAIL = b"</PubmedArticleSet>"
ESEARCH_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD'
    b' esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EPOST_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ePostResult PUBLIC "-//NLM//DTD epost'
    b' 20090526//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20090526/epost.dtd">'
)
EFETCH_ERROR_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD'
    b' efetch 20131226//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
)
EINFO_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eInfoResult PUBLIC "-//NLM//DTD einfo'
    b' 20190110//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20190110/einfo.dtd">\n'
)

# NCBI's texts, as quoted in reference/entrez-notes.md and the issues it cites.
SEARCH_CEILING = 9999
CEILING_ERROR = (
    "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed,"
    " ESearch can only retrieve the first 9,999 records matching the query. To obtain more"
    " than 9,999 PubMed records, consider using EDirect that contains additional logic to"
    " batch PubMed search results automatically so that an arbitrary number can be"
    " retrieved. For details see https://www.ncbi.nlm.nih.gov/books/NBK25499/"
)
HISTORY_CEILING_ERROR = (
    "Search backend cannot retrieve history data. Reason: Exception: 'retstart' cannot be"
    " larger than 9998. For PubMed, ESearch can only retrieve the first 9,999 records"
    " matching the query."
)
RESTRICTIONS = "Restrictions achieved. start and count adjusted to {start}, {count}"
NO_ITEMS = "No items found."
EMPTY_ID_LIST = "ID list is empty! Possibly it has no correct IDs."
OUT_OF_RANGE = "Cannot retrieve history data: OUT OF RANGE"
EFETCH_RETMAX_LIMIT = 10_000

RATE_LIMIT = 3
RATE_LIMIT_WITH_KEY = 10
SYNTHETIC_PMID_BASE = 60_000_000  # far above real PMIDs (~41 million in 2025)


# ---------------------------------------------------------------- the corpus

_ARTICLE = re.compile(rb"<(PubmedArticle|PubmedBookArticle)>.*?</\1>", re.DOTALL)
_PMID = re.compile(rb'(<PMID Version="\d+">)(\d+)(</PMID>)')
_PUBMED_ARTICLE_ID = re.compile(rb'(<ArticleId IdType="pubmed">)(\d+)(</ArticleId>)')
_ENTREZ_DATE = re.compile(
    rb'(<PubMedPubDate PubStatus="entrez">\s*<Year>)(\d+)(</Year>\s*<Month>)(\d+)'
    rb"(</Month>\s*<Day>)(\d+)(</Day>)"
)
_TAG = re.compile(rb"<[^>]+>")


@dataclass(frozen=True)
class Template:
    """A real record as NCBI sent it."""

    pmid: int
    entrez_date: date
    xml: bytes
    text: str  # lower-case text of all its elements, for the term model
    is_book: bool


@dataclass(frozen=True)
class Article:
    """A record of the stand-in PubMed: a real one, or a copy with a new PMID and date."""

    pmid: int
    entrez_date: date
    template: Template

    def xml(self) -> bytes:
        if self.pmid == self.template.pmid:
            return self.template.xml
        return _rewrite(self.template.xml, self.pmid, self.entrez_date)


def _rewrite(xml: bytes, pmid: int, day: date) -> bytes:
    """The record with its own PMID (not cited ones) and its Entrez date replaced."""
    new = str(pmid).encode()
    xml = _PMID.sub(lambda m: m[1] + new + m[3], xml, count=1)
    cut = xml.index(b"<PubmedData>")
    data = _PUBMED_ARTICLE_ID.sub(lambda m: m[1] + new + m[3], xml[cut:], count=1)
    year, month, dom = (str(n).encode() for n in (day.year, day.month, day.day))
    data = _ENTREZ_DATE.sub(lambda m: m[1] + year + m[3] + month + m[5] + dom + m[7], data, 1)
    return xml[:cut] + data


def _template(chunk: bytes) -> Template | None:
    pmid, entrez = _PMID.search(chunk), _ENTREZ_DATE.search(chunk)
    if pmid is None or entrez is None:
        return None
    text = html.unescape(_TAG.sub(b" ", chunk).decode("utf-8")).lower()
    return Template(
        pmid=int(pmid[2]),
        entrez_date=date(int(entrez[2]), int(entrez[4]), int(entrez[6])),
        xml=chunk,
        text=" ".join(text.split()),
        is_book=chunk.startswith(b"<PubmedBookArticle>"),
    )


def load_templates(root: Path = FIXTURES) -> list[Template]:
    """The records of every fixture that has NCBI's current EFetch layout, once each."""
    found: dict[int, Template] = {}
    for path in sorted((root / "pubmed-xml").rglob("*.xml")):
        body = path.read_bytes()
        if not body.startswith(PUBMED_HEAD):  # older DTDs or re-serialised by hand
            continue
        for match in _ARTICLE.finditer(body):
            template = _template(match[0])
            if template is not None:
                found.setdefault(template.pmid, template)
    return sorted(found.values(), key=lambda t: t.pmid)


def load_bulk_templates(path: Path = BULK_FILE) -> list[Template]:
    """The records of a PubMed update file (xz), as models for synthetic copies: real
    records of every size, unlike the hand-picked fixtures, which run large."""
    with lzma.open(path) as stream:
        body = stream.read()
    found = (_template(match[0]) for match in _ARTICLE.finditer(body))
    return [template for template in found if template is not None]


@dataclass(frozen=True)
class SearchHits:
    ids: list[int]
    translation: str
    not_found: list[str]


class PubMed:
    """The records the stand-in serves, newest Entrez date first."""

    def __init__(
        self,
        templates: Iterable[Template],
        *,
        synthetic: int = 0,
        models: Iterable[Template] | None = None,
        first_day: date = date(2021, 1, 1),
        days: int = 4 * 365,
    ) -> None:
        """``synthetic`` copies are made from ``models`` (default: the templates)."""
        self.templates = list(templates)
        articles = [Article(t.pmid, t.entrez_date, t) for t in self.templates]
        models = [t for t in (self.templates if models is None else models) if not t.is_book]
        for i in range(synthetic):
            day = first_day + timedelta(days=i * days // synthetic)
            articles.append(Article(SYNTHETIC_PMID_BASE + i, day, models[i % len(models)]))
        articles.sort(key=lambda a: (a.entrez_date, a.pmid), reverse=True)
        self.articles = articles
        self.by_pmid = {a.pmid: a for a in articles}
        self._by_template: dict[int, list[int]] = {}
        self._phrases: dict[str, frozenset[int]] = {}
        for article in articles:
            self._by_template.setdefault(article.template.pmid, []).append(article.pmid)

    @classmethod
    def from_fixtures(cls, root: Path = FIXTURES, *, synthetic: int = 0) -> PubMed:
        return cls(load_templates(root), synthetic=synthetic)

    def search(self, term: str, window: tuple[date, date] | None = None) -> SearchHits:
        query = _Query(self, term)
        matched, translation = query.parse()
        ids = [
            a.pmid
            for a in self.articles
            if a.pmid in matched and (window is None or window[0] <= a.entrez_date <= window[1])
        ]
        if window is not None:
            span = f"{window[0]:%Y/%m/%d}:{window[1]:%Y/%m/%d}[Date - Entry]"
            translation = f"({translation}) AND {span}"
        return SearchHits(ids, translation, query.not_found)

    def efetch_body(self, pmids: Iterable[int]) -> bytes:
        """A PubmedArticleSet as EFetch sends it: records back to back, in request order."""
        records = [self.by_pmid[p].xml() for p in pmids if p in self.by_pmid]
        return PUBMED_HEAD + b"".join(records) + PUBMED_TAIL

    def phrase(self, text: str, tag: str) -> tuple[set[int], str]:
        tag = tag.lower()
        if tag == "[sb]" and text.lower() == "all":
            return set(self.by_pmid), "all[sb]"
        if tag in ("[uid]", "[pmid]") and text.isdigit():
            return {int(text)} & set(self.by_pmid), f"{text}[uid]"
        return set(self._matching(text.lower())), f'"{text.lower()}"[All Fields]'

    def _matching(self, needle: str) -> frozenset[int]:
        """The PMIDs whose record text holds ``needle`` as whole words (cached)."""
        if needle not in self._phrases:
            words = re.compile(rf"\b{re.escape(needle)}\b")
            self._phrases[needle] = frozenset(
                pmid
                for t in self.templates
                if needle in t.text and words.search(t.text)  # the plain test first: faster
                for pmid in self._by_template.get(t.pmid, ())
            )
        return self._phrases[needle]


_TOKEN = re.compile(
    r'\s*(?:(?P<paren>[()])|"(?P<quoted>[^"]*)"(?P<qtag>\[[^\]]*\])?'
    r'|(?P<word>[^\s()"\[]+)(?P<wtag>\[[^\]]*\])?)'
)
_OPERATORS = ("AND", "OR", "NOT")


class _Query:
    """Recursive descent over the term: or := and (OR and)*; and := atom ([AND|NOT] atom)*."""

    def __init__(self, pubmed: PubMed, term: str) -> None:
        self.pubmed = pubmed
        self.tokens: list[tuple[str, str, str]] = []  # (kind, text, tag)
        for m in _TOKEN.finditer(term):
            if m["paren"]:
                self.tokens.append((m["paren"], "", ""))
            elif m["quoted"] is not None:
                self.tokens.append(("phrase", m["quoted"], m["qtag"] or ""))
            elif m["word"] in _OPERATORS and not m["wtag"]:
                self.tokens.append(("op", m["word"], ""))
            elif m["word"]:
                self.tokens.append(("phrase", m["word"], m["wtag"] or ""))
        self.pos = 0
        self.not_found: list[str] = []

    def _peek(self) -> tuple[str, str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> tuple[set[int], str]:
        if not self.tokens:
            return set(), ""
        return self._or()

    def _or(self) -> tuple[set[int], str]:
        ids, text = self._and()
        while self._peek() == ("op", "OR", ""):
            self.pos += 1
            more, more_text = self._and()
            ids, text = ids | more, f"{text} OR {more_text}"
        return ids, text

    def _and(self) -> tuple[set[int], str]:
        ids, text = self._atom()
        while (token := self._peek()) is not None and token[0] != ")" and token[1] != "OR":
            operator = "AND"
            if token[0] == "op":
                operator, self.pos = token[1], self.pos + 1
            more, more_text = self._atom()
            ids = ids & more if operator == "AND" else ids - more
            text = f"{text} {operator} {more_text}"
        return ids, text

    def _atom(self) -> tuple[set[int], str]:
        token = self._peek()
        self.pos += 1
        if token is None or token[0] in (")", "op"):
            return set(), ""  # a dangling operator matches nothing, as a typo would
        if token[0] == "(":
            ids, text = self._or()
            if self._peek() == (")", "", ""):
                self.pos += 1
            return ids, f"({text})"
        ids, text = self.pubmed.phrase(token[1], token[2])
        if not ids:
            self.not_found.append(token[1])
        return ids, text


@functools.cache
def default_pubmed() -> PubMed:
    """The real records plus 12,000 copies dated 2021-2024: ``all[sb]`` has > 10,000 hits."""
    return PubMed.from_fixtures(synthetic=12_000)


# ---------------------------------------------------------------- the E-utilities


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = XML_TYPE


@dataclass(frozen=True)
class _StoredSet:
    ids: tuple[int, ...]
    from_search: bool  # only a search-made set has the 9,999 ceiling


class _History:
    """NCBI's history server: WebEnv → query_key → a stored set of PMIDs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._envs: dict[str, dict[str, _StoredSet]] = {}
        self.created: list[str] = []  # every WebEnv handed out, in order

    def store(self, webenv: str | None, stored: _StoredSet) -> tuple[str, str]:
        with self._lock:
            if webenv not in self._envs:
                webenv = "MCID_" + secrets.token_hex(12)
                self._envs[webenv] = {}
                self.created.append(webenv)
            keys = self._envs[webenv]
            query_key = str(len(keys) + 1)
            keys[query_key] = stored
            return webenv, query_key

    def forget(self) -> None:
        with self._lock:
            self._envs.clear()

    def get(self, webenv: str, query_key: str) -> _StoredSet | None:
        with self._lock:
            return self._envs.get(webenv, {}).get(query_key)


def _ints(params: dict[str, str], name: str, default: int) -> int:
    value = int(params.get(name) or default)
    if value < 0:
        raise ValueError(name)
    return value


def _valid_ids(value: str) -> list[int]:
    """NCBI's reading of an ``id`` list: positive numbers only, each once, in order."""
    ids = [int(part) for part in value.split(",") if part.strip().isdigit()]
    return list(dict.fromkeys(i for i in ids if i > 0))


def _parse_day(value: str, *, end: bool) -> date:
    parts = [int(p) for p in value.strip().split("/")]
    year, month = parts[0], parts[1] if len(parts) > 1 else (12 if end else 1)
    if len(parts) > 2:
        return date(year, month, parts[2])
    if not end:
        return date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def _efetch_error(message: str, status: int = 400) -> Reply:
    body = b"<eFetchResult>\n\t<ERROR>" + escape(message).encode() + b"</ERROR>\n</eFetchResult>\n"
    return Reply(status, EFETCH_ERROR_HEAD + body)


def _esearch_error(message: str) -> Reply:
    body = b"<eSearchResult><ERROR>" + escape(message).encode() + b"</ERROR></eSearchResult>\n"
    return Reply(200, ESEARCH_HEAD + body)


@dataclass(frozen=True)
class _Page:
    count: int
    retstart: int
    ids: list[int]
    history: tuple[str, str] | None
    translation: str
    not_found: list[str]
    warnings: list[str]

    def xml(self) -> bytes:
        """The eSearchResult in NCBI's layout (compare fixtures/esearch/biopython-1.88)."""
        head = f"<Count>{self.count}</Count><RetMax>{len(self.ids)}</RetMax>"
        head += f"<RetStart>{self.retstart}</RetStart>"
        if self.history:
            head += f"<QueryKey>{self.history[1]}</QueryKey><WebEnv>{self.history[0]}</WebEnv>"
        ids = "".join(f"<Id>{i}</Id>\n" for i in self.ids)
        id_list = f"<IdList>\n{ids}</IdList>" if self.ids else "<IdList/>"
        tail = f"<TranslationSet/><QueryTranslation>{escape(self.translation)}</QueryTranslation>"
        if self.not_found:
            phrases = "".join(
                f"<PhraseNotFound>{escape(p)}</PhraseNotFound>" for p in self.not_found
            )
            tail += f"<ErrorList>{phrases}</ErrorList>"
        if self.warnings:
            messages = "".join(f"<OutputMessage>{escape(w)}</OutputMessage>" for w in self.warnings)
            tail += f"<WarningList>{messages}</WarningList>"
        text = f"<eSearchResult>{head}{id_list}{tail}</eSearchResult>\n"
        return ESEARCH_HEAD + text.encode()


class EutilsApp:
    """The four utilities as functions of their parameters; no HTTP in here."""

    def __init__(self, pubmed: PubMed, fixtures: Path = FIXTURES) -> None:
        self.pubmed = pubmed
        self.history = _History()
        self.fixtures = fixtures

    def answer(self, utility: str, params: dict[str, str]) -> Reply:
        utilities = {
            "esearch": self._esearch,
            "efetch": self._efetch,
            "epost": self._epost,
            "einfo": self._einfo,
        }
        handler = utilities.get(utility)
        if handler is None:
            return Reply(404, b"Not Found", "text/plain")
        try:
            reply: Reply = handler(params)
        except ValueError as exc:
            return Reply(400, f"Bad Request: {exc}".encode(), "text/plain")
        return reply

    def _esearch(self, p: dict[str, str]) -> Reply:
        if p.get("db", "pubmed") != "pubmed":
            return _esearch_error(f"Invalid db name specified: {p['db']}")
        if not p.get("term"):
            return _esearch_error("Empty term and query_key - nothing todo")
        hits = self.pubmed.search(p["term"], self._window(p))
        retstart, retmax = _ints(p, "retstart", 0), _ints(p, "retmax", 20)
        if len(hits.ids) > SEARCH_CEILING and retstart >= SEARCH_CEILING:
            return _esearch_error(CEILING_ERROR)
        warnings = []
        if retstart + retmax > SEARCH_CEILING:
            retmax = max(0, SEARCH_CEILING - retstart)
            warnings.append(RESTRICTIONS.format(start=retstart, count=retmax))
        history = None
        if p.get("usehistory") == "y":
            history = self.history.store(p.get("WebEnv"), _StoredSet(tuple(hits.ids), True))
        if not hits.ids:
            warnings.append(NO_ITEMS)
        page = hits.ids[retstart : retstart + retmax]
        count = len(hits.ids)
        reply = _Page(count, retstart, page, history, hits.translation, hits.not_found, warnings)
        return Reply(200, reply.xml())

    def _window(self, p: dict[str, str]) -> tuple[date, date] | None:
        if not (p.get("mindate") and p.get("maxdate")):
            return None  # NCBI ignores a range with one end
        if p.get("datetype", "edat") != "edat":
            raise ValueError("the stand-in knows only datetype=edat")
        return _parse_day(p["mindate"], end=False), _parse_day(p["maxdate"], end=True)

    def _efetch(self, p: dict[str, str]) -> Reply:
        if p.get("rettype") not in (None, "", "xml", "null") or p.get("retmode", "xml") != "xml":
            raise ValueError("the stand-in serves PubMed XML only")
        if "id" in p:
            ids = _valid_ids(p["id"])
            return Reply(200, self.pubmed.efetch_body(ids)) if ids else _efetch_error(EMPTY_ID_LIST)
        if p.get("WebEnv") and p.get("query_key"):
            return self._efetch_history(p)
        return _efetch_error(EMPTY_ID_LIST)

    def _efetch_history(self, p: dict[str, str]) -> Reply:
        stored = self.history.get(p["WebEnv"], p["query_key"])
        if stored is None:  # NCBI's answer for a lost or unknown set, at HTTP 200
            return _efetch_error(f"Unable to obtain query #{p['query_key']}", status=200)
        retstart, retmax = _ints(p, "retstart", 0), _ints(p, "retmax", 20)
        if stored.from_search and retstart >= SEARCH_CEILING:
            return _efetch_error(HISTORY_CEILING_ERROR)
        if retstart >= len(stored.ids):
            return _efetch_error(OUT_OF_RANGE)
        end = retstart + min(retmax, EFETCH_RETMAX_LIMIT)
        if stored.from_search:
            end = min(end, SEARCH_CEILING)  # cut short without a word, as NCBI does
        return Reply(200, self.pubmed.efetch_body(stored.ids[retstart:end]))

    def _epost(self, p: dict[str, str]) -> Reply:
        ids = _valid_ids(p.get("id", ""))
        if not ids:
            body = (
                b"<ePostResult>\n\t<ERROR>Empty ID list; Nothing to store</ERROR>\n</ePostResult>\n"
            )
            return Reply(200, EPOST_HEAD + body)
        webenv, key = self.history.store(p.get("WebEnv"), _StoredSet(tuple(ids), False))
        stored = f"<ePostResult>\n\t<QueryKey>{key}</QueryKey>\n\t<WebEnv>{webenv}</WebEnv>\n"
        return Reply(200, EPOST_HEAD + stored.encode() + b"</ePostResult>\n")

    def _einfo(self, p: dict[str, str]) -> Reply:
        db = p.get("db")
        if not db:
            return Reply(200, (self.fixtures / "einfo/biopython-1.88/einfo1.xml").read_bytes())
        if db == "pubmed":
            return Reply(200, (self.fixtures / "einfo/biopython-1.88/einfo2.xml").read_bytes())
        body = f"<eInfoResult>\n\t<ERROR>Can not retrieve DbInfo for db={escape(db)}</ERROR>\n"
        return Reply(200, EINFO_HEAD + body.encode() + b"</eInfoResult>\n")


# ---------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """One way for a request to go wrong; make them with the class methods."""

    kind: str
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    body: bytes = b""
    content_type: str = XML_TYPE

    @classmethod
    def http_status(cls, status: int, *, retry_after: str | None = None) -> Fault:
        """An error status (500, 502, 503 …) with a short HTML page, as NCBI's proxies send."""
        page = b"<html><body><h1>Server Error</h1></body></html>"
        return cls("status", status, retry_after, body=page, content_type="text/html")

    @classmethod
    def rate_limited(cls, *, retry_after: str | None = "2") -> Fault:
        """NCBI's 429 with its JSON body, whatever the real rate."""
        return cls("rate_limited", 429, retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """The normal answer, after ``seconds`` of silence."""
        return cls("slow", delay=seconds)

    @classmethod
    def truncated(cls) -> Fault:
        """A complete HTTP message whose body is the first half of the normal answer."""
        return cls("truncated")

    @classmethod
    def dropped(cls) -> Fault:
        """The normal headers, half the body, then the connection closes."""
        return cls("dropped")

    @classmethod
    def history_expired(cls) -> Fault:
        """The history server forgets every WebEnv just before this request arrives,
        as NCBI's does after some hours; the request is then answered as usual."""
        return cls("history_expired")

    @classmethod
    def document(cls, path: Path | str, *, status: int = 200) -> Fault:
        """A recorded NCBI answer (e.g. from fixtures/errors) instead of the normal one."""
        path = Path(path)
        types = {".html": "text/html", ".json": "application/json"}
        return cls(
            "document",
            status,
            body=path.read_bytes(),
            content_type=types.get(path.suffix, XML_TYPE),
        )


@dataclass
class _Pending:
    fault: Fault
    remaining: int
    utility: str | None
    spared: int = 0  # matching requests still to be answered normally first


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    utility: str
    params: dict[str, str]
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class Violation:
    """A request over the rate limit: ``count`` requests within one second."""

    at: float
    utility: str
    count: int
    limit: int
    with_api_key: bool


# ---------------------------------------------------------------- the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: EutilsStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or a fault that cut the line: expected here.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.standin._handle(self, "GET", urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        query = urlsplit(self.path).query
        self.server.standin._handle(self, "POST", f"{query}&{body}" if query else body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class EutilsStandIn:
    """``with EutilsStandIn() as eutils:`` serves on ``eutils.url`` until the block ends."""

    def __init__(
        self,
        pubmed: PubMed | None = None,
        *,
        enforce_rate_limit: bool = True,
        rate_limit_retry_after: str | None = "2",
    ) -> None:
        self.app = EutilsApp(pubmed or default_pubmed())
        self.enforce_rate_limit = enforce_rate_limit
        # NCBI sent Retry-After: 2 with its 429s (ropensci/rentrez#161,
        # MVesuviusC/primerTree#33); a 2026 report says it no longer does. None omits it.
        self.rate_limit_retry_after = rate_limit_retry_after
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.most_at_once = 0  # the most requests being answered at the same time
        self._answering = 0
        self._lock = threading.Lock()
        self._faults: list[_Pending] = []
        self._windows: dict[str, deque[float]] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> EutilsStandIn:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        # A short poll interval: shutdown() waits for it, once per test.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # wakes slow faults
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """The base URL, in NCBI's layout: ``http://127.0.0.1:PORT/entrez/eutils/``."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/entrez/eutils/"

    # ------------------------------------------------------------ tests' controls

    def inject(
        self, fault: Fault, *, times: int = 1, utility: str | None = None, after: int = 0
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests (to ``utility`` only, if given),
        once ``after`` such requests have been answered normally."""
        with self._lock:
            self._faults.append(_Pending(fault, times, utility, after))

    def requests_to(self, utility: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.utility == utility]

    def clear_faults(self) -> None:
        """Drop the faults not used yet."""
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return sum(p.remaining for p in self._faults)

    # ------------------------------------------------------------ serving

    def _handle(self, handler: _Handler, method: str, query: str) -> None:
        with self._lock:
            self._answering += 1
            self.most_at_once = max(self.most_at_once, self._answering)
        try:
            self._answer(handler, method, query)
        finally:
            with self._lock:
                self._answering -= 1

    def _answer(self, handler: _Handler, method: str, query: str) -> None:
        path = urlsplit(handler.path).path
        utility = path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        # NCBI counts a request with a key against the key, the others by address.
        who = params.get("api_key") or handler.client_address[0]
        limit = RATE_LIMIT_WITH_KEY if params.get("api_key") else RATE_LIMIT
        with self._lock:
            now = time.monotonic()
            self.requests.append(RecordedRequest(method, path, utility, params, now))
            count = self._arrive(who, now)
            over = self.enforce_rate_limit and count > limit
            if over:
                keyed = "api_key" in params
                self.violations.append(Violation(now, utility, count, limit, keyed))
            fault = None if over else self._take_fault(utility)
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"}
        if over:
            reply = _rate_limit_reply(who, count, limit)
            _write(handler, reply, headers, retry_after=self.rate_limit_retry_after)
            return
        headers["X-RateLimit-Remaining"] = str(max(0, limit - count))
        if fault is not None and fault.kind == "history_expired":
            self.app.history.forget()
            fault = None
        if fault is None:
            _write(handler, self.app.answer(utility, params), headers)
        elif fault.kind == "rate_limited":
            reply = _rate_limit_reply(who, limit + 1, limit)
            _write(handler, reply, {**headers, "X-RateLimit-Remaining": "0"}, fault.retry_after)
        elif fault.kind in ("status", "document"):
            reply = Reply(fault.status, fault.body, fault.content_type)
            _write(handler, reply, headers, retry_after=fault.retry_after)
        else:
            self._stopping.wait(fault.delay)  # only "slow" has a delay
            _write(handler, self.app.answer(utility, params), headers, cut=fault.kind)

    def _arrive(self, who: str, now: float) -> int:
        """Arrivals from ``who`` within the last second, this one included (lock held)."""
        window = self._windows.setdefault(who, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        window.append(now)
        return len(window)

    def _take_fault(self, utility: str) -> Fault | None:
        """The first pending fault for this request, used up by one (lock held)."""
        for pending in self._faults:
            if pending.remaining > 0 and pending.utility in (None, utility):
                if pending.spared:
                    pending.spared -= 1
                    continue
                pending.remaining -= 1
                return pending.fault
        return None


def _rate_limit_reply(who: str, count: int, limit: int) -> Reply:
    """NCBI's 429: without a key, ``api-key`` holds the caller's address."""
    body = {"error": "API rate limit exceeded", "api-key": who, "count": str(count)}
    body["limit"] = str(limit)
    return Reply(429, json.dumps(body, separators=(",", ":")).encode(), "application/json")


def _write(
    handler: _Handler,
    reply: Reply,
    headers: dict[str, str],
    retry_after: str | None = None,
    cut: str | None = None,
) -> None:
    """Send ``reply``; ``cut`` is "truncated", "dropped" or "slow"/None (whole)."""
    body = reply.body[: len(reply.body) // 2] if cut == "truncated" else reply.body
    handler.send_response(reply.status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if retry_after is not None:
        handler.send_header("Retry-After", retry_after)
    handler.send_header("Content-Type", reply.content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if cut == "dropped":
        handler.wfile.write(body[: len(body) // 2])
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True
        return
    handler.wfile.write(body)


def standin_fixture(monkeypatch: Any, **options: Any) -> Iterator[EutilsStandIn]:
    """For a pytest fixture: ``yield from standin_fixture(monkeypatch)``.

    Starts a stand-in and points ``EVIDENCE_EUTILS_URL`` at it for the test.
    """
    with EutilsStandIn(**options) as standin:
        monkeypatch.setenv("EVIDENCE_EUTILS_URL", standin.url)
        yield standin
