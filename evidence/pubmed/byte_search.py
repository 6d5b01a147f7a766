"""Searches in a record's bytes for markup that is rare: by its rarer byte first.

``b"<?" in data`` reads every byte through CPython's general substring search, about
six instructions a byte on PubMed XML, where ``<`` is everywhere. A search for the
second byte alone is ``memchr``, a fraction of an instruction a byte, and ``!`` and
``?`` are rare in records: where one is found, the byte before it is looked at.
"""

from __future__ import annotations


def find_markup(data: bytes | bytearray, opener: bytes, start: int = 0, end: int = -1) -> int:
    """Where ``opener``, two bytes whose second is rare (``<!``, ``<?``), is first found
    in ``data[start:end]``, or -1."""
    end = len(data) if end < 0 else end
    first, second = opener[0], opener[1:]
    position = data.find(second, start + 1, end)
    while position > 0:
        if data[position - 1] == first:
            return position - 1
        position = data.find(second, position + 1, end)
    return -1


def has_markup(data: bytes | bytearray, opener: bytes, start: int = 0, end: int = -1) -> bool:
    """Whether ``opener`` is in ``data[start:end]`` (see ``find_markup``)."""
    return find_markup(data, opener, start, end) >= 0
