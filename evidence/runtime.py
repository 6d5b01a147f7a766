"""What an interface needs to run use cases: settings, an engine, one transaction each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from evidence.config import Settings
from evidence.db import BEGIN_IMMEDIATE, make_engine, make_session_factory
from evidence.schema_migrations import require_current_schema
from evidence.services.audit import Actor
from evidence.services.users import actor_for_user


@dataclass
class Runtime:
    settings: Settings
    client: str = "cli"
    _engine: Engine | None = field(default=None, repr=False)
    _sessions: sessionmaker[Session] | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)

    @property
    def actor(self) -> Actor:
        """EVIDENCE_USER's user with their role, or else the installation's operator."""
        if self._actor is None:
            if self.settings.user is None:
                self._actor = Actor(self.settings.operator, self.client)
            else:
                with self.transaction() as session:
                    self._actor = actor_for_user(
                        session, username=self.settings.user, client=self.client
                    )
        return self._actor

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[Session]:
        """One use case: commit when the block ends, roll back if it raises.

        ``immediate``: on SQLite, take the write lock as the transaction begins. A
        transaction that reads and then writes cannot wait for another writer once it
        has read (SQLite fails it with "database is locked" at once); taking the lock
        first makes it wait, for the busy timeout, instead. A long job's writes use it,
        since its checkpointing thread takes the write lock now and then. Use cases
        that edit what a user opened keep the default: there, a write refused after a
        read is how a lost race is noticed (``evidence.services.concurrency``).
        """
        if self._sessions is None:
            require_current_schema(self.engine, self.settings.database_url)
            self._sessions = make_session_factory(self.engine)
        with self._sessions.begin() as session:
            if immediate:
                session.connection(execution_options={BEGIN_IMMEDIATE: True})
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
