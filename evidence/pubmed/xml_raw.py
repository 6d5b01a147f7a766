"""The bytes of each PubMed record exactly as they were read, for ``raw_xml``.

Serialising every record element again (``etree.tostring``) took about a fifth of
the parser's time. The parser reads through a :class:`RecordBytes` instead, which
keeps what lxml has read; when lxml reports the end of a record, its end tag has
been read, so the record's bytes can be cut from what was kept. What lies before
the cut is dropped, so memory stays bounded by lxml's read-ahead.

The cut is checked (it must hold the record's PMID and nothing that could hide or
fake a tag from a byte search); a document whose bytes are not
UTF-8, or whose root declares namespaces a record would need, is not cut at all. In
those cases the caller serialises the element as before.
"""

from __future__ import annotations

import re
from typing import Protocol

from evidence.pubmed.byte_search import has_markup


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation")
_AFTER_NAME = frozenset(b" \t\r\n>")  # what may follow a tag's name in its start tag
_DECLARED_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=["']([\w.-]+)["']""")
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)([^>]*)>")
_UTF8 = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
_INSTRUCTION = re.compile(rb"<\?.*?\?>", re.DOTALL)
_TRIM = 1 << 20  # drop what lies before the cut once this much has piled up


def _plainly_one_record(raw: bytes, tag: bytes, pmid: str) -> bool:
    """The cut holds this PMID, no second record start, and nothing that can hide a
    tag from a byte search: no comment or CDATA, and no processing instruction that
    names the record's tag (PubMed sends ``<?pmcsd ?>`` in ordinary records)."""
    return (
        b">" + pmid.encode() + b"</PMID>" in raw
        and raw.find(b"<" + tag, 1) < 0
        and not has_markup(raw, b"<!")  # neither comment nor CDATA
        # The regular expression reads byte by byte: only where an instruction begins.
        and not (has_markup(raw, b"<?") and any(tag in pi for pi in _INSTRUCTION.findall(raw)))
    )


def _start_tag(data: bytearray, tag: str, position: int) -> int:
    """Where the next ``<tag>`` or ``<tag attributes>`` begins, or -1 (a byte search:
    a regular expression reads byte by byte)."""
    opening = b"<" + tag.encode()
    while (found := data.find(opening, position)) >= 0:
        after = found + len(opening)
        if after < len(data) and data[after] in _AFTER_NAME:
            return found
        position = after
    return -1


class RecordBytes:
    """A reading tee over ``stream``; :meth:`cut` gives a finished record's bytes."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._kept = bytearray()
        self._start = 0  # where in _kept the next record is looked for
        self._prolog_checked = False
        self.usable = True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if self.usable:
            self._kept += data
        return data

    def cut(self, tag: str, pmid: str) -> bytes | None:
        """The bytes of the next ``<tag>`` record, or None when they cannot be had."""
        if not self.usable or not (self._prolog_checked or self._check_prolog()):
            return None
        start = _start_tag(self._kept, tag, self._start) if tag in _RECORD_TAGS else -1
        closing = b"</" + tag.encode() + b">"
        end = self._kept.find(closing, start) if start >= 0 else -1
        if end < 0:
            self._give_up()
            return None
        end += len(closing)
        raw = bytes(self._kept[start:end])
        if not _plainly_one_record(raw, tag.encode(), pmid):
            self._give_up()  # maybe not the record lxml read: never store a wrong one
            return None
        self._start = end
        if self._start > _TRIM:
            del self._kept[: self._start]
            self._start = 0
        return raw

    def _check_prolog(self) -> bool:
        self._prolog_checked = True
        declared = _DECLARED_ENCODING.match(self._kept)
        root = _ROOT.search(self._kept)
        plain = not (declared and declared.group(1).lower() not in _UTF8)
        if not plain or (root and b"xmlns" in root.group(2)):
            self._give_up()
            return False
        return True

    def _give_up(self) -> None:
        self.usable = False
        self._kept = bytearray()
