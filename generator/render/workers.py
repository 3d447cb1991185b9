"""Forked worker processes that render files in parallel and never outlive the run.

Not ``ProcessPoolExecutor`` or ``multiprocessing.Pool``: their workers outlived a parent killed
outright (each kept a copy of the write end of the task pipe, so no end of file ever came), and
``Pool.terminate()`` hangs when its task pipe is full. Workers here are started before their
jobs are known, so that they import what rendering needs (``prepare``: half a second for
datamodel-code-generator) while the parent reads the schema and builds the model. Each has a
pipe for its jobs and one for its results: it is sent a job ahead (:data:`_AHEAD`) and sends
each result as soon as it has it, so it holds two jobs and one result at most; a thread of the
parent receives the results meanwhile and hands the sender its next job, and the parent can
take jobs no worker has been given to do them itself (:class:`Handout`). Leaving the block by an
exception (Ctrl-C, SIGTERM, an error) kills the workers at once; so does leaving it at all, as
they hold nothing worth waiting for; a parent killed outright takes them along
(:func:`_tie_to`).
"""

from __future__ import annotations

import ctypes
import gc
import os
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkProcess
from typing import Any, Generic, TypeVar

from ..errors import GenerationError

T = TypeVar("T")
R = TypeVar("R")
_STOPPING = frozenset({signal.SIGINT, signal.SIGTERM})
#: Jobs sent to a worker before its first result: it has the next one at hand when it sends
#: a result, instead of waiting for this process to get round to it.
_AHEAD = 2
#: prctl(2) option: the signal a process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class _Worker:
    process: ForkProcess
    jobs: Connection
    results: Connection


@contextmanager
def forked_workers(
    function: Callable[[T], R], prepare: Callable[[], None]
) -> Iterator[Workers[T, R]]:
    """Workers applying ``function`` to jobs (none started yet: see :meth:`Workers.start`);
    they are killed when the block ends, however it ends."""
    workers: Workers[T, R] = Workers(function, prepare)
    try:
        yield workers
    finally:
        workers.close()


class Workers(Generic[T, R]):
    """Forked processes that each run ``prepare`` at once, then ``function`` on every job
    :meth:`map` sends them."""

    def __init__(self, function: Callable[[T], R], prepare: Callable[[], None]) -> None:
        self._function = function
        self._prepare = prepare
        self._context = get_context("fork")
        self._workers: list[_Worker] = []
        self._lifeline: tuple[int, int] | None = None

    @property
    def count(self) -> int:
        return len(self._workers)

    def start(self, count: int) -> None:
        """Fork workers until ``count`` of them run."""
        if len(self._workers) >= count:
            return
        if self._lifeline is None:
            self._lifeline = os.pipe()
        # The objects the workers inherit are left out of garbage collection until they
        # end: a full collection writes into every object it visits, which would copy the
        # pages the workers and this process share (13 MB at 60x600, measured).
        gc.freeze()
        # Workers start with Ctrl-C and SIGTERM held until _tie_to has set them up; one
        # that reaches this process meanwhile arrives when the mask is restored.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        try:
            while len(self._workers) < count:
                self._workers.append(self._fork(self._lifeline))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def _fork(self, lifeline: tuple[int, int]) -> _Worker:
        # The worker's ends of its pipes are held by it alone (workers forked later
        # inherit only this process's ends): when it dies, even in the middle of a
        # message, its results pipe ends and the receiver learns it.
        jobs_out, jobs_in = self._context.Pipe(duplex=False)
        results_out, results_in = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_serve,
            args=(self._prepare, self._function, jobs_out, results_in),
            kwargs={"parent": os.getpid(), "lifeline": lifeline},
            daemon=True,
        )
        try:
            process.start()
        except BaseException:
            jobs_in.close()
            results_out.close()
            raise
        finally:
            jobs_out.close()
            results_in.close()
        return _Worker(process, jobs_in, results_out)

    @contextmanager
    def map(
        self, jobs: Sequence[T], keep: Callable[[int, R], None]
    ) -> Iterator[Handout[T, R]]:
        """Send every job to the workers (one is started if none runs); each result is
        handed to ``keep`` (with its job's index, in a thread of this process) as it
        arrives. With the block's value, the caller can take jobs no worker was given yet
        and wait for the last result (call it before the block ends); leaving the block by
        an exception kills the workers (the next call starts others).
        """
        self.start(max(self.count, 1))
        handout = Handout(self._workers, jobs, keep)
        failed = True
        try:
            yield handout
            failed = False
        finally:
            if failed:
                self._kill()
            # Before any pipe is closed: the receiving thread may be waiting on them.
            handout.thread.join()
            if failed:
                self.close()

    def _kill(self) -> None:
        for worker in self._workers:
            worker.process.kill()

    def close(self) -> None:
        """Kill the workers (idle or not, they hold nothing to wait for); :meth:`start`
        can start others."""
        self._kill()
        for worker in self._workers:
            worker.process.join()
            worker.process.close()
            worker.jobs.close()
            worker.results.close()
        self._workers.clear()
        if self._lifeline is not None:
            for end in self._lifeline:
                os.close(end)
            self._lifeline = None
            gc.unfreeze()


class Handout(Generic[T, R]):
    """A thread of the parent handing out jobs and taking their results as they come, and
    the jobs not handed out yet, for the parent to take."""

    def __init__(
        self, workers: list[_Worker], jobs: Sequence[T], keep: Callable[[int, R], None]
    ) -> None:
        self.keep = keep
        self.failure: Exception | None = None
        self._jobs = jobs
        self._next = 0
        self._lock = threading.Lock()
        self.thread = threading.Thread(
            target=self._receive, args=(list(workers),), daemon=True
        )
        self.thread.start()

    def left(self) -> Sequence[T]:
        """The jobs no worker has been given yet (a moment ago)."""
        return self._jobs[self._next :]

    def take(self) -> tuple[int, T] | None:
        """The next job no worker has been given (with its index), for the caller to do
        itself; None when there is none."""
        with self._lock:
            if self._next >= len(self._jobs):
                return None
            self._next += 1
            return self._next - 1, self._jobs[self._next - 1]

    def wait(self) -> None:
        """Return once every job given to a worker has its result kept; raise the
        workers' error if any."""
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def _receive(self, workers: list[_Worker]) -> None:
        try:
            self._hand_out(workers)
        except Exception as exc:  # wait() raises it in the caller's thread
            self.failure = exc

    def _hand_out(self, workers: list[_Worker]) -> None:
        """Jobs to each worker, then one more to each that sends a result, until every
        result is in; a pipe that ends is a worker that died."""
        by_results = {worker.results: worker for worker in workers}
        in_flight = dict.fromkeys(by_results, 0)

        def give(worker: _Worker) -> None:
            job = self.take()
            if job is not None:
                try:
                    worker.jobs.send(job)
                except OSError:  # it died: its results pipe has ended too
                    raise _died(worker) from None
                in_flight[worker.results] += 1

        for _ in range(_AHEAD):
            for worker in workers:
                give(worker)
        while busy := [results for results, count in in_flight.items() if count]:
            for ready in wait(busy):
                assert isinstance(ready, Connection)
                worker = by_results[ready]
                try:
                    message = ready.recv()
                except (EOFError, OSError):  # OSError: it ended within a message
                    raise _died(worker) from None
                if isinstance(message, GenerationError):
                    raise message
                if isinstance(message, str):
                    raise RuntimeError(
                        f"rendering failed in a worker process:\n{message}"
                    )
                in_flight[ready] -= 1
                give(worker)
                self.keep(*message)


def _died(worker: _Worker) -> Exception:
    """The error for a worker that stopped: the one it sent if it could not prepare, else
    what the system did to it."""
    worker.process.join()
    try:
        message = worker.results.recv() if worker.results.poll() else None
    except (EOFError, OSError):
        message = None
    if isinstance(message, GenerationError):
        return message
    return GenerationError(
        f"a rendering process ended unexpectedly (exit code "
        f"{worker.process.exitcode}); nothing was written, run again"
    )


def _serve(
    prepare: Callable[[], None],
    function: Callable[[T], R],
    jobs: Connection,
    results: Connection,
    *,
    parent: int,
    lifeline: tuple[int, int],
) -> None:
    """A worker: prepare, then render each job as it comes, sending each result (or the
    traceback, and stop) until it is killed."""
    _tie_to(parent, *lifeline)
    received: queue.SimpleQueue[tuple[int, T] | None] = queue.SimpleQueue()
    threading.Thread(target=_receive_jobs, args=(jobs, received), daemon=True).start()
    try:
        prepare()
    except Exception as exc:  # a broken installation: say so in one line
        results.send(
            GenerationError(
                f"a rendering process could not start ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())}); reinstall minicrm-codegen"
            )
        )
        return
    try:
        while (job := received.get()) is not None:
            results.send((job[0], function(job[1])))
    except Exception:
        results.send(traceback.format_exc())


def _receive_jobs(jobs: Connection, received: queue.SimpleQueue[Any]) -> None:
    """Take every job as it comes: the parent, sending one ahead, never waits on a worker
    busy rendering (nor on one sending a result, which would wait on the parent in turn).
    """
    try:
        while True:
            received.put(jobs.recv())
    except (EOFError, OSError):
        received.put(None)


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
