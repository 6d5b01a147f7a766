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
``</ReferenceList>`` tags balance, it is valid UTF-8, and it holds no comment, CDATA
section or processing instruction, which could hide or fake a tag. A list cut short
by a truncated answer is never closed, so lxml still sees the truncation.
"""

from __future__ import annotations

from typing import Protocol

OPENING = b"<ReferenceList>"
CLOSING = b"</ReferenceList>"
_LIST_TAG = b"<ReferenceList"
_READ = 1 << 18  # a list cut by the end of what was read is searched again


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class WithoutReferenceLists:
    """A readable stream: ``stream``'s bytes without their ReferenceList elements.

    ``read`` hands on whatever it has ready, which may be more or less than asked
    for (lxml takes either), and b"" only at the end."""

    def __init__(self, stream: _Readable) -> None:
        self._stream = stream
        self._pending = b""  # read from the stream, not handed on yet: may begin a list
        self._ended = False
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
        parts = []
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
            parts.append(data[position:start])
            listed = data[start:end]
            if (simple or _tags_counted(listed)) and _plain_markup(listed):
                lines = listed.count(b"\n")
                self.dropped += len(listed) - lines
                parts.append(b"\n" * lines)
            else:
                parts.append(listed)
            position = end
        else:
            # No list begins here, but the last bytes may begin one.
            start = len(data) if self._ended else max(position, len(data) - len(OPENING) + 1)
        parts.append(data[position:start])
        self._pending = data[start:]
        return b"".join(parts)


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


def _tags_counted(data: bytes) -> bool:
    """Every list tag in ``data`` is one the byte search counts (no attributes, none
    empty)."""
    return data.count(_LIST_TAG) == data.count(OPENING)


def _plain_markup(data: bytes) -> bool:
    """No comment, CDATA section or processing instruction begins or ends in ``data``
    (the cheap one-byte searches first: most lists have no "!"), and it is UTF-8."""
    if b"!" in data and b"<!" in data:
        return False
    if b"?" in data and (b"<?" in data or b"?>" in data):
        return False
    if b"-->" in data or b"]]>" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
