"""Forked worker processes that render files in parallel and never outlive the run.

Not ``ProcessPoolExecutor`` or ``multiprocessing.Pool``: their workers outlived a parent killed
outright (each kept a copy of the write end of the task pipe, so no end of file ever came), and
``Pool.terminate()`` hangs when its task pipe is full. Here the jobs come with the fork, so only
results are pickled; each worker takes the next job from a shared counter and sends each result
as soon as it has it, so a worker holds one result at a time; a thread of the parent receives
them meanwhile (a worker would otherwise stall on a full pipe while the parent is busy).
Leaving the block by an exception (Ctrl-C, SIGTERM, an error) kills the workers at once; a
parent killed outright takes them along (:func:`_tie_to`).
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkProcess
from multiprocessing.sharedctypes import Synchronized
from typing import Generic, TypeVar

from ..errors import GenerationError

T = TypeVar("T")
R = TypeVar("R")
_STOPPING = frozenset({signal.SIGINT, signal.SIGTERM})
#: prctl(2) option: the signal a process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


@contextmanager
def forked_map(
    function: Callable[[T], R],
    jobs: Sequence[T],
    workers: int,
    keep: Callable[[int, R], None],
) -> Iterator[Callable[[], None]]:
    """Start ``workers`` forked processes applying ``function`` to every job; each result is
    handed to ``keep`` (with its job's index, in a thread of this process) as it arrives. The
    block's value waits for the last one (call it before the block ends)."""
    context = get_context("fork")
    counter: Synchronized[int] = context.Value("q", 0)
    lifeline, held_end = os.pipe()
    processes: dict[Connection, ForkProcess] = {}
    receiver: _Receiver[R] | None = None
    # Workers start with Ctrl-C and SIGTERM held until _tie_to has set them up; one that
    # reaches this process meanwhile arrives when the mask is restored, inside the try.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    # The objects the workers inherit are left out of garbage collection meanwhile: a full
    # collection writes into every object it visits, which would copy the pages the worker
    # and this process share (about 13 MB less at 60x600, measured).
    gc.freeze()
    try:
        for _ in range(workers):
            # A pipe per worker, whose write end only that worker holds: when it dies, even
            # in the middle of a message, its pipe ends and the receiver learns it.
            reader, writer = context.Pipe(duplex=False)
            worker = context.Process(
                target=_work,
                args=(function, jobs, counter, writer),
                kwargs={"parent": os.getpid(), "lifeline": (lifeline, held_end)},
                daemon=True,
            )
            try:
                worker.start()
            finally:
                writer.close()
            processes[reader] = worker
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        receiver = _Receiver(processes, keep)
        yield receiver.wait
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for process in processes.values():
            process.kill()
        raise
    finally:
        for process in processes.values():
            process.join()
        if receiver is not None:
            receiver.thread.join()
        for reader in processes:
            reader.close()
        os.close(lifeline)
        os.close(held_end)
        gc.unfreeze()


class _Receiver(Generic[R]):
    """A thread of the parent taking every worker's results as they come."""

    def __init__(
        self, processes: dict[Connection, ForkProcess], keep: Callable[[int, R], None]
    ) -> None:
        self.keep = keep
        self.failure: Exception | None = None
        self.thread = threading.Thread(
            target=self._receive, args=(processes,), daemon=True
        )
        self.thread.start()

    def wait(self) -> None:
        """Return once all workers are done; raise their error if any."""
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def _receive(self, processes: dict[Connection, ForkProcess]) -> None:
        try:
            self._take_messages(processes)
        except Exception as exc:  # wait() raises it in the caller's thread
            self.failure = exc

    def _take_messages(self, processes: dict[Connection, ForkProcess]) -> None:
        """Results until every worker has said it is done; a pipe that ends before its
        worker said so is a worker that died."""
        waiting = set(processes)
        while waiting:
            for reader in wait(list(waiting)):
                assert isinstance(reader, Connection)
                try:
                    message = reader.recv()
                except EOFError:
                    process = processes[reader]
                    process.join()
                    raise GenerationError(
                        f"a rendering process ended unexpectedly (exit code "
                        f"{process.exitcode}); nothing was written, run again"
                    ) from None
                if isinstance(message, str):
                    raise RuntimeError(
                        f"rendering failed in a worker process:\n{message}"
                    )
                if message is None:
                    waiting.discard(reader)
                else:
                    self.keep(*message)


def _work(
    function: Callable[[T], R],
    jobs: Sequence[T],
    counter: Synchronized[int],
    writer: Connection,
    *,
    parent: int,
    lifeline: tuple[int, int],
) -> None:
    """A worker: take jobs until none is left, sending each result as it comes (or the
    traceback), then None."""
    _tie_to(parent, *lifeline)
    try:
        while True:
            with counter.get_lock():
                index = counter.value
                counter.value += 1
            if index >= len(jobs):
                break
            writer.send((index, function(jobs[index])))
    except Exception:
        writer.send(traceback.format_exc())
        return
    writer.send(None)


def _tie_to(parent: int, lifeline: int, held_end: int) -> None:
    """Make this worker end with the process that forked it.

    Ctrl-C reaches the whole process group: the worker ignores it and the parent stops it.
    SIGTERM gets its default action back. Both were held since the fork, so none arrived
    before this. When the parent dies, even killed outright, the worker exits: on Linux the
    kernel kills it (``PR_SET_PDEATHSIG``); everywhere, a thread waits for end of file on a
    pipe whose write end only the parent holds.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
    os.close(held_end)
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)
    threading.Thread(target=_exit_at_end_of_file, args=(lifeline,), daemon=True).start()


def _exit_at_end_of_file(lifeline: int) -> None:
    os.read(lifeline, 1)  # nobody writes: this returns only when the parent is gone
    os._exit(1)
