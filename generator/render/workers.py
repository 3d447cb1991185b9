"""Forked worker processes that render files in parallel and never outlive the run.

Not ``ProcessPoolExecutor`` or ``multiprocessing.Pool``: their workers outlived a parent killed
outright (each kept a copy of the write end of the task pipe, so no end of file ever came), and
``Pool.terminate()`` hangs when its task pipe is full. Here the jobs come with the fork, so only
results are pickled; each worker takes the next job from a shared counter and sends all its
results in one message when it is done. Leaving the block by an exception (Ctrl-C, SIGTERM, an
error) kills the workers at once; a parent killed outright takes them along (:func:`_tie_to`).
"""

from __future__ import annotations

import ctypes
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
from multiprocessing.synchronize import Lock
from typing import TypeVar

from ..errors import GenerationError

T = TypeVar("T")
_STOPPING = frozenset({signal.SIGINT, signal.SIGTERM})
#: prctl(2) option: the signal a process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


@contextmanager
def forked_map(
    function: Callable[[T], str], jobs: Sequence[T], workers: int
) -> Iterator[Callable[[], list[str]]]:
    """Start ``workers`` forked processes applying ``function`` to every job; the block's value
    waits for the results, in job order (call it before the block ends)."""
    context = get_context("fork")
    counter: Synchronized[int] = context.Value("q", 0)
    reader, writer = context.Pipe(duplex=False)
    sending = context.Lock()
    lifeline, held_end = os.pipe()
    processes: list[ForkProcess] = []
    # Workers start with Ctrl-C and SIGTERM held until _tie_to has set them up; one that
    # reaches this process meanwhile arrives when the mask is restored, inside the try.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        for _ in range(workers):
            worker = context.Process(
                target=_work,
                args=(function, jobs, counter, writer, sending),
                kwargs={"parent": os.getpid(), "lifeline": (lifeline, held_end)},
                daemon=True,
            )
            worker.start()
            processes.append(worker)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        yield lambda: _collect(reader, processes, len(jobs))
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for process in processes:
            process.kill()
        raise
    finally:
        for process in processes:
            process.join()
        reader.close()
        writer.close()
        os.close(lifeline)
        os.close(held_end)


def _collect(reader: Connection, processes: list[ForkProcess], count: int) -> list[str]:
    """Every worker's results, in job order; a worker that died unanswered is an error."""
    results: dict[int, str] = {}
    running = {process.sentinel: process for process in processes}
    answered = 0
    while answered < len(processes):
        ready = wait([reader, *running])
        if reader in ready:
            message = reader.recv()
            if isinstance(message, str):
                raise RuntimeError(f"rendering failed in a worker process:\n{message}")
            results.update(message)
            answered += 1
            continue
        for sentinel in set(running).intersection(ready):
            process = running.pop(sentinel)
            # Its sentinel fires as it exits, before it can be reaped: until then exitcode is
            # None, even for a worker that answered and ended well.
            process.join()
            if process.exitcode != 0 and not reader.poll():
                raise GenerationError(
                    f"a rendering process ended unexpectedly (exit code "
                    f"{process.exitcode}); nothing was written, run again"
                )
    return [results[index] for index in range(count)]


def _work(
    function: Callable[[T], str],
    jobs: Sequence[T],
    counter: Synchronized[int],
    writer: Connection,
    sending: Lock,
    *,
    parent: int,
    lifeline: tuple[int, int],
) -> None:
    """A worker: take jobs until none is left, then send the results (or the traceback)."""
    _tie_to(parent, *lifeline)
    results: dict[int, str] = {}
    try:
        while True:
            with counter.get_lock():
                index = counter.value
                counter.value += 1
            if index >= len(jobs):
                break
            results[index] = function(jobs[index])
    except Exception:
        with sending:
            writer.send(traceback.format_exc())
        return
    with sending:
        writer.send(results)


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
