"""Decision, lifecycle and SPC commands."""
