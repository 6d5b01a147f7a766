"""Leave PubMed's ``<ReferenceList>`` elements out of what lxml parses.

A record's ReferenceList (the works it cites, each with its citation text and IDs)
is often the larger part of its bytes: 29 % of the 2021 update file, 43 % of some
efetch answers. Nothing is read from it, yet building its elements took about a
quarter of the parse. :class:`WithoutReferenceLists` reads a PubMed XML stream and
hands on the same bytes with each outermost ReferenceList (nested ones included)
replaced by its newlines, so line numbers in error messages stay right. The record's
``raw_xml`` is cut from the bytes as read (``xml_raw``), with its references.

A list is left in (and lxml judges it as before) unless it is plainly well-formed
markup that a byte search can delimit: its ``<ReferenceList>`` and
``</ReferenceList>`` tags balance, it is valid UTF-8, and no comment, CDATA section
or processing instruction begins in it, which could hide or fake a tag. Once one is
left open in the bytes handed on (a list tag after it may be inside it), nothing
more is left out. A list cut short by a truncated answer is never closed, so lxml
still sees the truncation.
"""

from __future__ import annotations

import codecs

from evidence.pubmed.byte_search import find_markup, has_markup
from evidence.pubmed.xml_raw import Readable

OPENING = b"<ReferenceList>"
CLOSING = b"</ReferenceList>"
_LIST_TAG = b"<ReferenceList"
_READ = 1 << 18  # a list cut by the end of what was read is searched again


class WithoutReferenceLists:
    """A readable stream: ``stream``'s bytes without their ReferenceList elements.

    ``read`` hands on whatever it has ready, which may be more or less than asked
    for (lxml takes either), and b"" only at the end."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._pending = b""  # read from the stream, not handed on yet: may begin a list
        self._ended = False
        # Off for good once a comment, CDATA section or processing instruction is left
        # open in what was handed on: a list tag after it may be inside it.
        self._filtering = True
        self.dropped = 0  # bytes left out, for tests and curiosity

    def read(self, size: int = -1) -> bytes:
        while not self._ended:
            more = self._stream.read(max(size, _READ))
            self._ended = not more
            ready = self._ready(self._pending + more)
            if ready:
                return ready
        ready, self._pending = self._pending, b""  # a list cut short: lxml will say so
        return ready

    def _ready(self, data: bytes) -> bytes:
        """What of ``data`` can be handed on, its lists dropped; the rest is kept."""
        if not self._filtering:
            self._pending = b""
            return data
        parts: list[bytes] = []
        position = 0
        find = data.find
        while (start := find(OPENING, position)) >= 0:
            closing = find(CLOSING, start)
            if closing < 0:
                break
            end = closing + len(CLOSING)
            simple = find(_LIST_TAG, start + 1, closing) < 0  # no list inside it
            if not simple and (end := _end_of_list(data, start)) < 0:
                break
            if _open_at(data, position, start) >= 0:  # the list may be inside it
                self._filtering = False
                self._pending = b""
                return b"".join(parts) + data[position:]
            parts.append(data[position:start])
            if (simple or _tags_counted(data, start, end)) and _plain_markup(data, start, end):
                lines = data.count(b"\n", start, end)
                self.dropped += end - start - lines
                parts.append(b"\n" * lines)
            else:
                parts.append(data[start:end])
                if _open_at(data, start, end) >= 0:  # markup left open in it
                    self._filtering = False
                    self._pending = b""
                    return b"".join(parts) + data[end:]
            position = end
        else:
            start = len(data) if self._ended else _held_back(data, position)
        if not self._ended and (unclosed := _open_at(data, position, start)) >= 0:
            start = unclosed  # looked at again with what is read next
        parts.append(data[position:start])
        self._pending = data[start:]
        return b"".join(parts)


def _held_back(data: bytes, position: int) -> int:
    """Where the bytes that may begin a list or end in an unfinished tag begin: they
    are looked at again with what is read next."""
    held = max(position, len(data) - len(OPENING) + 1)
    last = data.rfind(b"<", position)
    if last >= 0 and data.find(b">", last) < 0:
        held = min(held, last)
    return held


def _end_of_list(data: bytes, start: int) -> int:
    """Where the ReferenceList that begins at ``start`` ends (after its closing tag,
    nested lists counted), or -1 when ``data`` does not hold its end."""
    depth, position = 0, start
    while (closing := data.find(CLOSING, position)) >= 0:
        depth += data.count(OPENING, position, closing) - 1
        position = closing + len(CLOSING)
        if depth == 0:
            return position
    return -1


def _tags_counted(data: bytes, start: int, end: int) -> bool:
    """Every list tag in the list is one the byte search counts (no attributes, none
    empty)."""
    return data.count(_LIST_TAG, start, end) == data.count(OPENING, start, end)


def _plain_markup(data: bytes, start: int, end: int) -> bool:
    """No comment, CDATA section or processing instruction begins in the list, and it
    is UTF-8."""
    if has_markup(data, b"<!", start, end) or has_markup(data, b"<?", start, end):
        return False
    try:
        codecs.utf_8_decode(memoryview(data)[start:end], "strict", True)
    except UnicodeDecodeError:
        return False
    return True


_ENDS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}


def _open_at(data: bytes, start: int, end: int) -> int:
    """Where a comment, CDATA section, processing instruction or declaration begins
    in ``data[start:end]`` that is still open at ``end``, or -1."""
    for opener in (b"<!", b"<?"):
        position = start
        while (found := find_markup(data, opener, position, end)) >= 0:
            kind = next((k for k in _ENDS if data.startswith(k, found)), opener)
            ending = data.find(_ENDS.get(kind, b">"), found + len(kind), end)
            if ending < 0:
                return found
            position = ending
    return -1
