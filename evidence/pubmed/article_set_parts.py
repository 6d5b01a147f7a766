"""One PubmedArticleSet cut into smaller whole documents, to be parsed side by side.

A harvest waits for its last efetch answer alone: every other answer is parsed and
stored by then, and the parser processes but one stand idle. Cut at record ends into
parts of about equal size, each part a PubmedArticleSet of its own (the head up to the
set's start tag repeated, the set's end tag added), that answer is parsed by all of
them at once, in a fraction of the time.

The cut is by bytes, not by parsing: a part is the records between two record end
tags, so each record's own bytes (kept as its raw XML) are unchanged. A body the cut
does not fit (no set, or too few records) is left whole, and a part that does not
parse says nothing about the body: the caller parses the body whole to learn why.
"""

from __future__ import annotations

from itertools import pairwise

_SET_START = b"<PubmedArticleSet"
_SET_END = b"</PubmedArticleSet>"
_RECORD_ENDS = (b"</PubmedArticle>", b"</PubmedBookArticle>")


def article_set_parts(body: bytes, parts: int) -> list[bytes] | None:
    """``body`` as up to ``parts`` PubmedArticleSets of about equal size whose records,
    in order, are the body's; None when it cannot be cut in two or more."""
    start = body.find(_SET_START)
    head_end = body.find(b">", start) + 1 if start >= 0 else 0
    end = body.rfind(_SET_END)
    if head_end == 0 or body[head_end - 2 : head_end] == b"/>" or end < head_end:
        return None
    cuts = [head_end]
    for part in range(1, parts):
        cut = _record_end(body, cuts[-1], head_end + (end - head_end) * part // parts, end)
        if cut is None:
            break
        cuts.append(cut)
    if len(cuts) == 1:
        return None
    head = body[:head_end]
    firsts = [head + body[a:b] + _SET_END for a, b in pairwise(cuts)]
    return [*firsts, head + body[cuts[-1] :]]


def _record_end(body: bytes, after: int, near: int, end: int) -> int | None:
    """The end of a record nearest to ``near``, between ``after`` and ``end``, with
    markup (another record, or a deletion) after it."""
    found = [
        at + len(tag)
        for tag in _RECORD_ENDS
        for at in (body.rfind(tag, after, near), body.find(tag, near, end))
        if at >= 0
    ]
    valid = [cut for cut in found if body.find(b"<", cut, end) >= 0]
    return min(valid, key=lambda cut: abs(cut - near), default=None)
