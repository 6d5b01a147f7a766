"""The parser processes a large harvest parses its efetch answers in."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence import parser_process
from evidence.errors import ParseError
from evidence.parser_process import AnswerParser, prepare_pubmed_xml
from tests.integration.processes import parser_processes

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
PUBMED1 = FIXTURES / "pubmed-xml" / "biopython-1.88" / "pubmed1.xml"


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser_process, "LARGE_HARVEST", 1)


@pytest.mark.usefixtures("large")
def test_answers_are_parsed_as_in_this_process_and_the_processes_end_with_the_block() -> None:
    body = PUBMED1.read_bytes()
    with AnswerParser() as answers:
        answers.expect(2)
        assert len(parser_processes()) == parser_process.PARSER_PROCESSES
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
