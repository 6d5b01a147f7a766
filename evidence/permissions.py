"""Who may do what: one table, checked by every service that changes or reveals data.

Roles are those of the committee's work (DESIGN.md): admins manage users; analysts
build and run searches and screen and appraise; committee members review, screen and
appraise; the chair also changes a dossier's state and signs decisions; auditors
only read and export. ``None`` is the installation's operator: the CLI run without
``EVIDENCE_USER`` (migrations, reference data, file imports, scheduled surveillance).
"""

from __future__ import annotations

import enum

from evidence.errors import PermissionDenied
from evidence.models.vocabulary import Role
from evidence.services.audit import Actor

OPERATOR = None


class Permission(enum.StrEnum):
    VIEW = "view"
    EXPORT = "export"
    VERIFY_AUDIT = "verify_audit"
    MANAGE_USERS = "manage_users"
    IMPORT_DOSSIER = "import_dossier"
    IMPORT_CITATIONS = "import_citations"
    EDIT_DOSSIER = "edit_dossier"
    CHANGE_DOSSIER_STATUS = "change_dossier_status"
    MANAGE_SEARCHES = "manage_searches"
    RUN_SEARCH = "run_search"
    CONFIGURE_SCREENING = "configure_screening"
    SCREEN = "screen"
    RESOLVE_SCREENING = "resolve_screening"
    APPRAISE = "appraise"
    ASSESS_CAUSALITY = "assess_causality"
    SIGN_DECISION = "sign_decision"
    RUN_SURVEILLANCE = "run_surveillance"


_EVERYONE = frozenset({*Role, OPERATOR})
_REVIEWERS = frozenset({Role.ANALYST, Role.MEMBER, Role.CHAIR})

PERMISSIONS: dict[Permission, frozenset[Role | None]] = {
    Permission.VIEW: _EVERYONE,
    Permission.EXPORT: _EVERYONE,
    Permission.VERIFY_AUDIT: _EVERYONE,
    Permission.MANAGE_USERS: frozenset({Role.ADMIN, OPERATOR}),
    Permission.IMPORT_DOSSIER: frozenset({Role.ADMIN, Role.CHAIR, OPERATOR}),
    Permission.IMPORT_CITATIONS: frozenset({Role.ANALYST, Role.ADMIN, OPERATOR}),
    Permission.EDIT_DOSSIER: frozenset({Role.MEMBER, Role.CHAIR}),
    Permission.CHANGE_DOSSIER_STATUS: frozenset({Role.CHAIR}),
    Permission.MANAGE_SEARCHES: frozenset({Role.ANALYST, OPERATOR}),
    Permission.RUN_SEARCH: frozenset({Role.ANALYST, OPERATOR}),
    Permission.CONFIGURE_SCREENING: frozenset({Role.CHAIR, Role.ANALYST}),
    Permission.SCREEN: _REVIEWERS,
    Permission.RESOLVE_SCREENING: _REVIEWERS,
    Permission.APPRAISE: _REVIEWERS,
    Permission.ASSESS_CAUSALITY: _REVIEWERS,
    Permission.SIGN_DECISION: frozenset({Role.CHAIR}),
    Permission.RUN_SURVEILLANCE: frozenset({Role.ANALYST, OPERATOR}),
}


def allowed(role: Role | None, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]


def require(actor: Actor, permission: Permission) -> None:
    """Refuse, with a sentence a user understands, when the actor's role may not."""
    if not allowed(actor.role, permission):
        who = f"{actor.name} ({actor.role.value})" if actor.role else f"the operator {actor.name}"
        raise PermissionDenied(f"{who} may not {permission.value.replace('_', ' ')}")


def permission_table() -> list[tuple[str, list[str]]]:
    """The table as rows (permission, roles allowed), for the CLI and the docs."""
    order = [*Role, OPERATOR]
    return [
        (permission.value, [role.value if role else "operator" for role in order if role in roles])
        for permission, roles in PERMISSIONS.items()
    ]
