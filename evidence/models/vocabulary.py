"""Enumerations of the domain; each is a CHECK constraint in the database.

Organ classes are our own neutral keys (MedDRA terms are licensed and are not
shipped); the SPC's own wording is kept beside the key as printed.
"""

from __future__ import annotations

import enum


class DossierStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    DECIDED = "decided"
    RE_EVALUATION_DUE = "re_evaluation_due"


class ScreeningOutcome(enum.StrEnum):
    INCLUDED = "included"
    OTHER = "other"  # does not meet the PICO, kept as background
    EXCLUDED = "excluded"


class StudyDesign(enum.StrEnum):
    CASE_REPORT = "case_report"
    CASE_SERIES = "case_series"
    LITERATURE_REVIEW = "literature_review"
    SYSTEMATIC_REVIEW = "systematic_review"
    META_ANALYSIS = "meta_analysis"
    RANDOMISED_TRIAL = "randomised_trial"
    COHORT_STUDY = "cohort_study"
    CASE_CONTROL_STUDY = "case_control_study"
    OBSERVATIONAL_STUDY = "observational_study"
    IN_VITRO = "in_vitro"
    ANIMAL = "animal"
    GUIDELINE = "guideline"
    OTHER = "other"


class SpcSection(enum.StrEnum):
    CONTRAINDICATIONS = "4.3"
    WARNINGS = "4.4"
    INTERACTIONS = "4.5"
    PREGNANCY_LACTATION = "4.6"
    UNDESIRABLE_EFFECTS = "4.8"


SPC_SECTION_TITLES = {
    SpcSection.CONTRAINDICATIONS: "Contraindications",
    SpcSection.WARNINGS: "Special warnings and precautions for use",
    SpcSection.INTERACTIONS: "Interactions",
    SpcSection.PREGNANCY_LACTATION: "Fertility, pregnancy and lactation",
    SpcSection.UNDESIRABLE_EFFECTS: "Undesirable effects",
}


class FrequencyCategory(enum.StrEnum):
    VERY_COMMON = "very_common"  # >= 1/10
    COMMON = "common"  # >= 1/100 to < 1/10
    UNCOMMON = "uncommon"  # >= 1/1,000 to < 1/100
    RARE = "rare"  # >= 1/10,000 to < 1/1,000
    VERY_RARE = "very_rare"  # < 1/10,000
    NOT_KNOWN = "not_known"


class OrganClass(enum.StrEnum):
    INFECTIONS = "infections"
    NEOPLASMS = "neoplasms"
    BLOOD_LYMPHATIC = "blood_lymphatic"
    IMMUNE_SYSTEM = "immune_system"
    ENDOCRINE = "endocrine"
    METABOLISM_NUTRITION = "metabolism_nutrition"
    PSYCHIATRIC = "psychiatric"
    NERVOUS_SYSTEM = "nervous_system"
    EYE = "eye"
    EAR_LABYRINTH = "ear_labyrinth"
    CARDIAC = "cardiac"
    VASCULAR = "vascular"
    RESPIRATORY = "respiratory"
    GASTROINTESTINAL = "gastrointestinal"
    HEPATOBILIARY = "hepatobiliary"
    SKIN = "skin"
    MUSCULOSKELETAL = "musculoskeletal"
    RENAL_URINARY = "renal_urinary"
    PREGNANCY_PERINATAL = "pregnancy_perinatal"
    REPRODUCTIVE_BREAST = "reproductive_breast"
    CONGENITAL = "congenital"
    GENERAL_ADMINISTRATION_SITE = "general_administration_site"
    INVESTIGATIONS = "investigations"
    INJURY_PROCEDURAL = "injury_procedural"
    PROCEDURES = "procedures"
    SOCIAL_CIRCUMSTANCES = "social_circumstances"
    PRODUCT_ISSUES = "product_issues"


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class NaranjoAnswer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class NaranjoCategory(enum.StrEnum):
    DEFINITE = "definite"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    DOUBTFUL = "doubtful"


class WhoUmcCategory(enum.StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"
    CONDITIONAL = "conditional"
    UNASSESSABLE = "unassessable"


class Severity(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class TextAvailability(enum.StrEnum):
    ABSTRACT = "abstract"
    FULL_TEXT = "full_text"
    FREE_FULL_TEXT = "free_full_text"


class SearchRunOutcome(enum.StrEnum):
    RECORDED = "recorded"  # documented elsewhere (e.g. an imported dossier), not executed here
    RUNNING = "running"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class HitState(enum.StrEnum):
    PENDING = "pending"  # found by the search, record not fetched yet
    FETCHED = "fetched"
    MISSING = "missing"  # PubMed never returned the record, after every retry


class Role(enum.StrEnum):
    ADMIN = "admin"
    CHAIR = "chair"
    MEMBER = "member"  # committee member
    ANALYST = "analyst"
    AUDITOR = "auditor"  # read-only


class ScreeningMode(enum.StrEnum):
    SINGLE = "single"
    DUAL = "dual"  # two reviewers, blind to each other; disagreements resolved by a third


class SignatureMeaning(enum.StrEnum):
    APPROVED = "approved"
    REVIEWED = "reviewed"
    AUTHORED = "authored"
