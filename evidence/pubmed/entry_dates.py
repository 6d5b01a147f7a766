"""The Entrez date of each record of an efetch answer: the day it entered PubMed.

A search over the 9,999-hit ceiling fetches the last batch of its answer and goes on
from the oldest of their dates (``evidence.pubmed.retrieval``). The date is
``PubMedPubDate PubStatus="entrez"`` in a record's ``History``, under ``PubmedData``
or, for a book, ``PubmedBookData``.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from evidence.errors import MalformedXml

_PMID = etree.XPath("string((MedlineCitation|BookDocument)/PMID)")
_ENTREZ_DATE = etree.XPath("(PubmedData|PubmedBookData)/History/PubMedPubDate[@PubStatus='entrez']")


def entrez_dates(body: bytes) -> dict[str, date]:
    """The Entrez date of each record in ``body``, a PubmedArticleSet, by PMID; a
    record without one (or with one that is not a date) is left out.

    Raises :class:`MalformedXml` when ``body`` is not well-formed.
    """
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(f"efetch answer: {exc}") from exc
    days = {}
    for record in root:
        for element in _ENTREZ_DATE(record):
            try:
                day = date(
                    int(element.findtext("Year")),
                    int(element.findtext("Month")),
                    int(element.findtext("Day")),
                )
            except (TypeError, ValueError):
                continue  # NCBI gives all three; a record that does not is no guide
            days[_PMID(record)] = day
    return days
