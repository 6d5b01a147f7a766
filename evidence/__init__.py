"""Pharmacovigilance evidence-review database."""

__version__ = "0.1.0"
