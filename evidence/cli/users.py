"""User commands (evidence user ...)."""
