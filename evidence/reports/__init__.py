"""Renderings of stored dossiers for people: text now, documents later."""
