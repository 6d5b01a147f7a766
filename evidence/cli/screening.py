"""Screening commands (evidence screen ...)."""
