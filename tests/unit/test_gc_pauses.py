"""A long job leaves the objects alive before it out of the collector's passes, and
hands them back after."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from evidence.gc_pauses import shorter_gc_pauses


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    """A reference cycle no one holds: only the collector can free it."""
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.fixture(autouse=True)
def _nothing_frozen() -> Iterator[None]:
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()


def test_garbage_from_before_the_job_waits_for_its_end() -> None:
    old = _cycle()
    with shorter_gc_pauses():
        assert gc.get_freeze_count() > 0
        new = _cycle()
        gc.collect()
        assert old() is not None  # frozen: not scanned
        assert new() is None  # the job's own garbage is collected as ever
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old() is None


def test_the_heap_is_handed_back_when_the_job_fails() -> None:
    with pytest.raises(RuntimeError), shorter_gc_pauses():
        raise RuntimeError("harvest failed")
    assert gc.get_freeze_count() == 0


def test_overlapping_jobs_hand_the_heap_back_when_the_last_ends() -> None:
    first_inside, second_done = threading.Event(), threading.Event()
    seen: list[int] = []

    def second_job() -> None:
        first_inside.wait()
        with shorter_gc_pauses():
            seen.append(gc.get_freeze_count())
        second_done.set()

    worker = threading.Thread(target=second_job)
    worker.start()
    with shorter_gc_pauses():
        first_inside.set()
        second_done.wait()
        assert gc.get_freeze_count() > 0  # the second job ended; this one goes on
    worker.join()
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_by_the_process_stays_frozen() -> None:
    old = _cycle()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with shorter_gc_pauses():
        pass
    assert gc.get_freeze_count() == frozen
    gc.collect()
    assert old() is not None  # still the process's to unfreeze
