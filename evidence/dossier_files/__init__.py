"""The dossier file: one whole dossier in one YAML or JSON document.

Reading and writing here are pure (text in, plain data out and back); the
database side lives in ``evidence.services.dossier_files``.
"""

from evidence.dossier_files.reader import FORMAT, load_dossier_file, parse_dossier_text
from evidence.dossier_files.writer import dump_dossier

__all__ = ["FORMAT", "dump_dossier", "load_dossier_file", "parse_dossier_text"]
