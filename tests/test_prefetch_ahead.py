"""``ahead``: the next item is made while the caller holds the current one, errors
arrive in order, and stopping early closes the producer where it runs.
``produce_in_child``: the producer sees how much the parent has not taken yet."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from syncd.prefetch import ahead, can_fork, produce_in_child


def test_the_next_item_is_made_while_the_caller_holds_this_one() -> None:
    second_started = threading.Event()

    def produce() -> Iterator[int]:
        yield 1
        second_started.set()
        yield 2

    items = ahead(produce())
    assert next(items) == 1
    assert second_started.wait(timeout=10)  # made without the caller asking
    assert list(items) == [2]


def test_an_error_comes_after_the_items_before_it() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise KeyError("source gone")

    items = ahead(produce())
    assert next(items) == 1
    with pytest.raises(KeyError, match="source gone"):
        next(items)


def test_stopping_early_closes_the_producer_in_its_thread() -> None:
    closed_in: list[str] = []

    def produce() -> Iterator[int]:
        try:
            yield from range(100)
        finally:
            closed_in.append(threading.current_thread().name)

    items = ahead(produce())
    assert next(items) == 0
    items.close()
    assert len(closed_in) == 1 and closed_in[0].startswith("syncd-ahead")


@pytest.mark.skipif(not can_fork(), reason="a forked child needs Linux and two cores")
def test_the_child_sees_what_the_parent_has_not_taken_yet() -> None:
    taken = multiprocessing.get_context("fork").Event()

    def produce(waiting: Callable[[], int]) -> Iterator[int]:
        yield waiting()
        taken.wait(timeout=30)
        yield waiting()  # the parent took the first: nothing waits
        yield waiting()  # the parent is busy: the second still waits

    items = produce_in_child(produce)
    assert next(items) == 0
    taken.set()
    time.sleep(1.0)  # busy with something else
    assert list(items) == [0, 1]
