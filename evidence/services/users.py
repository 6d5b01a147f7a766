"""Users: add, change password, disable, list, authenticate. Argon2id hashes."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from evidence.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from evidence.models import User
from evidence.models.base import utcnow
from evidence.models.vocabulary import Role
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event

MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class UserSummary:
    username: str
    display_name: str
    role: str
    active: bool


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _find(session: Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def add_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    actor: Actor,
) -> User:
    require(actor, Permission.MANAGE_USERS)
    username = username.strip()
    if not username:
        raise InvalidInput("a user needs a user name")
    _check_password(password)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=_HASHER.hash(password),
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="user",
        entity_id=username,
        after={"display_name": user.display_name, "role": role.value},
    )
    return user


def change_password(session: Session, *, username: str, new_password: str, actor: Actor) -> None:
    """Users change their own; an admin (or the operator) may set anyone's."""
    if actor.user_id is None or actor.name != username:
        require(actor, Permission.MANAGE_USERS)
    _check_password(new_password)
    user = _find(session, username)
    user.password_hash = _HASHER.hash(new_password)
    user.password_changed_at = utcnow()
    record_event(
        session, actor=actor, action="change_password", entity_type="user", entity_id=username
    )


def disable_user(session: Session, *, username: str, actor: Actor, reason: str | None) -> None:
    require(actor, Permission.MANAGE_USERS)
    user = _find(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is already disabled")
    user.active = False
    record_event(
        session,
        actor=actor,
        action="disable",
        entity_type="user",
        entity_id=username,
        before={"active": True},
        after={"active": False},
        reason=reason,
    )


def list_users(session: Session, *, actor: Actor) -> list[UserSummary]:
    require(actor, Permission.MANAGE_USERS)
    return [
        UserSummary(u.username, u.display_name, u.role.value, u.active)
        for u in session.scalars(sa.select(User).order_by(User.username))
    ]


def authenticate(session: Session, *, username: str, password: str, client: str) -> Actor:
    """The actor for a user whose password matches; the same message for every failure."""
    user = session.scalar(sa.select(User).where(User.username == username))
    refused = AuthenticationFailed("unknown user, wrong password, or disabled user")
    if user is None or not user.active:
        raise refused
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as error:
        raise refused from error
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return Actor(user.username, client, role=user.role, user_id=user.id)


def actor_for_user(session: Session, *, username: str, client: str) -> Actor:
    """The actor for a named, active user (the CLI's EVIDENCE_USER; no password)."""
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active:
        raise AuthenticationFailed(f"EVIDENCE_USER {username!r} is not an active user")
    return Actor(user.username, client, role=user.role, user_id=user.id)


def verify_password(session: Session, *, actor: Actor, password: str) -> User:
    """Re-entered password of the acting user (for an electronic signature)."""
    if actor.user_id is None:
        raise AuthenticationFailed("only a named user can sign; set EVIDENCE_USER")
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("the signing user is not active")
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as error:
        raise AuthenticationFailed("the password does not match: not signed") from error
    return user


def user_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented, for demo databases only
DEMO_USERS = (
    ("admin", "Demo administrator", Role.ADMIN),
    ("chair", "Demo chair", Role.CHAIR),
    ("member", "Demo committee member", Role.MEMBER),
    ("analyst", "Demo analyst", Role.ANALYST),
    ("auditor", "Demo auditor", Role.AUDITOR),
)


def create_first_admin(session: Session, *, password: str, actor: Actor) -> User | None:
    """On a database without users, the first administrator ("admin"); otherwise nothing."""
    if user_count(session):
        return None
    return add_user(
        session,
        username="admin",
        display_name="Administrator",
        role=Role.ADMIN,
        password=password,
        actor=actor,
    )


def create_demo_users(session: Session, *, actor: Actor) -> list[str]:
    """One user per role, all with the documented demo password; existing ones are kept."""
    created = []
    for username, display_name, role in DEMO_USERS:
        if session.scalar(sa.select(User.id).where(User.username == username)) is None:
            add_user(
                session,
                username=username,
                display_name=display_name,
                role=role,
                password=DEMO_PASSWORD,
                actor=actor,
            )
            created.append(username)
    return created
