"""The typed ORM of the evidence store; the schema itself is owned by ``migrations/``."""

from evidence.models.appraisals import Appraisal, AppraisalCount, Case
from evidence.models.audit import AuditEvent
from evidence.models.base import Base
from evidence.models.citations import (
    AbstractSection,
    Citation,
    CitationAuthor,
    CitationPublicationType,
    CommentCorrection,
    MeshHeading,
    MeshQualifier,
)
from evidence.models.decisions import Decision, DecisionSnapshot
from evidence.models.dossiers import Dossier, DossierAbbreviation, Pico, RiskFactor
from evidence.models.screening import ScreeningReason, ScreeningResolution, ScreeningVote
from evidence.models.searches import SearchHit, SearchRun, SearchStrategy
from evidence.models.spc import SpcStatement, SpcStatementProduct
from evidence.models.substances import Condition, Product, Substance
from evidence.models.users import User

__all__ = [
    "AbstractSection",
    "Appraisal",
    "AppraisalCount",
    "AuditEvent",
    "Base",
    "Case",
    "Citation",
    "CitationAuthor",
    "CitationPublicationType",
    "CommentCorrection",
    "Condition",
    "Decision",
    "DecisionSnapshot",
    "Dossier",
    "DossierAbbreviation",
    "MeshHeading",
    "MeshQualifier",
    "Pico",
    "Product",
    "RiskFactor",
    "ScreeningReason",
    "ScreeningResolution",
    "ScreeningVote",
    "SearchHit",
    "SearchRun",
    "SearchStrategy",
    "SpcStatement",
    "SpcStatementProduct",
    "Substance",
    "User",
]
