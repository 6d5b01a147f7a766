"""The dashboard's pages, in menu order. The app and its tests both read this list."""

PAGES: list[tuple[str, str]] = [
    ("views/dossiers.py", "Dossiers"),
]
