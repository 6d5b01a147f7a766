"""The parser processes a large harvest parses its efetch answers in."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence import answer_parser
from evidence.answer_parser import AnswerParser
from evidence.errors import MalformedXml, ParseError
from evidence.parser_process import prepare_pubmed_xml
from tests.integration.processes import parser_processes

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
PUBMED1 = FIXTURES / "pubmed-xml" / "biopython-1.88" / "pubmed1.xml"


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer_parser, "LARGE_HARVEST", 1)


@pytest.mark.usefixtures("large")
def test_answers_are_parsed_as_in_this_process_and_the_processes_end_with_the_block() -> None:
    body = PUBMED1.read_bytes()
    with AnswerParser() as answers:
        answers.expect(2)
        assert len(parser_processes()) == answer_parser.PARSER_PROCESSES
        assert answers.parse(body) == prepare_pubmed_xml(body)
    assert parser_processes() == []


@pytest.mark.usefixtures("large")
def test_an_answer_after_the_input_has_ended_is_refused_not_left_waiting() -> None:
    body = PUBMED1.read_bytes()
    with AnswerParser() as answers:
        answers.expect(2)
        first = answers.parse(body)
        answers.end_input()
        with pytest.raises(ParseError, match="take no more answers"):
            answers.parse(body)
    assert first == prepare_pubmed_xml(body)
    assert parser_processes() == []


@pytest.mark.usefixtures("large")
def test_the_last_two_answers_are_cut_between_the_idle_processes_and_parse_the_same() -> None:
    body = PUBMED1.read_bytes()
    with AnswerParser() as answers:
        answers.expect(2)
        answers.expect_answers(3)
        first = answers.parse(body)
        assert answers.answers_cut == 0
        second = answers.parse(body)
        assert answers.answers_cut == 1
        last = answers.parse(body)
        assert answers.answers_cut == 2
    assert first == second == last == prepare_pubmed_xml(body)


@pytest.mark.usefixtures("large")
def test_a_cut_answer_that_does_not_parse_is_reported_as_a_whole() -> None:
    """The error names the place in the answer as sent, not in a part."""
    sent = PUBMED1.read_bytes()
    second = sent.index(b"</ArticleTitle>", sent.index(b"</ArticleTitle>") + 1)
    body = sent[:second] + sent[second:].replace(b"</ArticleTitle>", b"</ArticleTitel>", 1)
    with pytest.raises(MalformedXml) as in_this_process:
        prepare_pubmed_xml(body)
    with AnswerParser() as answers:
        answers.expect(2)
        answers.expect_answers(1)
        with pytest.raises(MalformedXml) as in_parts:
            answers.parse(body)
        assert answers.answers_cut == 1
    assert str(in_parts.value) == str(in_this_process.value)
    assert "last good record: PMID" in str(in_parts.value)  # the second record is broken
