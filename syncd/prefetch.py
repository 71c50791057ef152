"""Running a batch producer ahead of its consumer, so reading and writing overlap.

Two ways: :func:`produce_in_child` (a second process, for producers that share
nothing with this one) and :func:`ahead` (a thread, for a remote source's pages).


Reading, parsing and planning a message is pure CPU work; writing it is mostly
database work. On a machine with two or more cores the producer runs in a forked
child process and hands finished batches over a bounded queue (two batches ahead
at most, so memory stays flat), while this process writes. Order is kept, so every
cursor is still stored after the data it follows. Errors raised in the child are
raised again here, with their class, so the runner's error handling is unchanged.

Only producers that share no state with the parent may run there (file sources;
not a connector that writes refreshed tokens to the database).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import queue
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
AHEAD = 4
POLL_SECONDS = 1.0
EXIT_SECONDS = 10.0
PR_SET_PDEATHSIG = 1


_END = object()


def ahead(items: Iterator[T]) -> Iterator[T]:
    """The items of ``items``, each made in a worker thread while the caller works on
    the one before: the wait for the server's next page overlaps the work on this
    one. The generator only ever runs in the worker, one step at a time; closing
    this one closes it there."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="syncd-ahead") as worker:
        pending = worker.submit(next, items, _END)
        try:
            while (item := pending.result()) is not _END:
                pending = worker.submit(next, items, _END)
                yield item  # type: ignore[misc]
        finally:
            pending.cancel()
            with contextlib.suppress(BaseException):
                pending.result()  # a step under way ends before the generator closes
            worker.submit(_close, items).result()


def _close(items: Iterator[Any]) -> None:
    close = getattr(items, "close", None)
    if close is not None:
        close()


def can_fork() -> bool:
    """True where a child process can run a producer (Linux, more than one core)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def produce_in_child(produce: Callable[[Callable[[], int]], Iterator[T]]) -> Iterator[T]:
    """The items of ``produce(waiting)``, computed in a forked child process;
    ``waiting()`` says how many items the parent has not taken yet, so the producer
    can leave work to a parent that would otherwise wait."""
    context = multiprocessing.get_context("fork")
    channel: Any = context.Queue(maxsize=AHEAD)
    child = context.Process(target=_run, args=(produce, channel, os.getpid()), daemon=True)
    child.start()
    try:
        yield from _receive(channel, child)
        child.join(timeout=EXIT_SECONDS)  # it has sent everything; let it finish
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        channel.close()


def _receive(channel: Any, child: Any) -> Iterator[T]:
    while True:
        try:
            kind, value = channel.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError(f"the reader process died (exit code {child.exitcode})"
                                   ) from None
            continue
        if kind == "item":
            yield value
        elif kind == "error":
            raise value
        else:
            return


def _run(produce: Callable[[Callable[[], int]], Iterator[Any]], channel: Any,
         parent: int) -> None:
    _die_with(parent)

    def waiting() -> int:
        try:
            return int(channel.qsize())
        except NotImplementedError:  # no sem_getvalue (macOS): assume a busy parent
            return 1

    try:
        for item in produce(waiting):
            _put(channel, ("item", item), parent)
    except BaseException as exc:  # hand every failure to the parent, which decides
        _put(channel, ("error", _portable(exc)), parent)
    else:
        _put(channel, ("done", None), parent)
    channel.close()
    channel.join_thread()
    os._exit(0)  # not multiprocessing's exit: it would run finalizers copied from the
    # parent at fork, such as joins of queue threads that do not exist in this process


def _die_with(parent: int) -> None:
    """Ask Linux to kill this child when its parent dies (even by SIGKILL): a reader
    left behind would block forever on a queue nobody reads."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: _put notices the new parent instead
    if os.getppid() != parent:
        os._exit(1)


def _put(channel: Any, message: tuple[str, Any], parent: int) -> None:
    """Wait for room in the queue, but not for a parent that was killed."""
    while True:
        try:
            channel.put(message, timeout=POLL_SECONDS)
            return
        except queue.Full:
            if os.getppid() != parent:
                os._exit(1)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
