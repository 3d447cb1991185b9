"""The render workers (``generator/render/workers.py``) as the generator uses them: started
before their jobs, given jobs one at a time, serving every render of a run, and replaced
after one dies. (Stopping a whole run: tests/test_safe_writes.py.)"""

from __future__ import annotations

import os

import pytest

from generator import render
from generator.build_model import build_tenant
from generator.errors import GenerationError
from generator.model import Tenant
from generator.render.workers import forked_workers
from generator.settings import DEFAULT_PACKAGE_VERSION
from test_safe_writes import big_tenant

BIG = 1 << 20  # a megabyte: many times a pipe's buffer


def echo(job: tuple[str, int]) -> bytes:
    """A job: (what to do, a size); returns that many bytes, or dies."""
    what, size = job
    if what == "die":
        os._exit(7)
    if what == "fail":
        raise ValueError("a bug in rendering")
    return what.encode() * size


def nothing() -> None:
    """Nothing to prepare."""


def run(jobs: list[tuple[str, int]], workers: int = 1) -> dict[int, bytes]:
    kept: dict[int, bytes] = {}
    with forked_workers(echo, nothing) as pool:
        pool.start(workers)
        with pool.map(jobs, kept.__setitem__) as handout:
            handout.wait()
    return kept


@pytest.mark.parametrize("workers", [1, 2])
def test_big_jobs_and_results_all_come_back(workers: int) -> None:
    """Jobs and results far larger than a pipe holds, several in flight per worker: every
    result is kept under its job's index (no worker waits on this process forever)."""
    jobs = [("x" * BIG, 1), ("y", BIG), ("z", 3), ("w" * 10, BIG // 10)] * 3
    kept = run(jobs, workers)
    assert kept == {index: echo(job) for index, job in enumerate(jobs)}


def test_started_workers_serve_every_render_and_are_replaced_after_one_dies() -> None:
    with forked_workers(echo, nothing) as pool:
        pool.start(1)
        first: dict[int, bytes] = {}
        with pool.map([("a", 2), ("b", 1)], first.__setitem__) as handout:
            handout.wait()
        assert first == {0: b"aa", 1: b"b"}
        with pytest.raises(GenerationError, match=r"\(exit code 7\)"):
            with pool.map([("ok", 1), ("die", 0)], lambda *_: None) as handout:
                handout.wait()
        assert pool.count == 0  # the dead worker and its siblings are gone
        again: dict[int, bytes] = {}
        with pool.map([("c", 1)], again.__setitem__) as handout:
            handout.wait()
        assert again == {0: b"c"}


def test_an_error_in_a_job_comes_back_with_its_traceback() -> None:
    with pytest.raises(RuntimeError, match="ValueError: a bug in rendering"):
        run([("fail", 0)])


def test_a_worker_that_cannot_prepare_says_why() -> None:
    def broken() -> None:
        raise ImportError("no datamodel-code-generator")

    with forked_workers(echo, broken) as pool:
        pool.start(1)
        with pytest.raises(GenerationError, match="could not start .ImportError: no"):
            with pool.map([("a", 1)], lambda *_: None) as handout:
                handout.wait()


def rendered_files(tenant: Tenant) -> dict[str, bytes]:
    with render.render_package(tenant, "big", DEFAULT_PACKAGE_VERSION) as files:
        return dict(files.items())


@pytest.mark.parametrize("modules", [5, 9])
def test_the_files_are_the_same_however_many_workers_render_them(
    monkeypatch: pytest.MonkeyPatch, modules: int
) -> None:
    """No worker (one CPU: all in this process), one or two. With a few entities one worker
    renders the record models and this process the rest of each file; with many, workers
    render whole files. Either way: the same bytes."""
    tenant = build_tenant(big_tenant(modules=modules, fields=40))
    many = len(tenant.entities) >= render.PARALLEL_THRESHOLD
    assert many is (modules == 9)
    rendered = {}
    for count in (0, 1, 2):
        monkeypatch.setattr(render, "render_workers", lambda count=count: count)
        rendered[count] = rendered_files(tenant)
    assert rendered[0] == rendered[1] == rendered[2]
    assert len(rendered[0]) > len(tenant.entities)


def test_this_process_helps_render_what_the_worker_has_not_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many entities left when this process is done with its own files: it renders some
    entity files itself, the same bytes as a worker's."""
    tenant = build_tenant(big_tenant(modules=9, fields=40))
    monkeypatch.setattr(render, "render_workers", lambda: 1)
    alone = rendered_files(tenant)
    here = os.getpid()
    by_this_process = []
    entity_file = render.entity_file

    def counted(job: render.EntityJob, record_model: str | None = None) -> bytes:
        if os.getpid() == here and record_model is None:
            by_this_process.append(job.entity.module)
        return entity_file(job, record_model)

    monkeypatch.setattr(render, "entity_file", counted)
    monkeypatch.setattr(render, "HELP_FIELDS", 0)
    # Its own files done at once, this process finds all but the worker's first jobs left.
    monkeypatch.setattr(render, "_package_files", lambda *args: None)
    helped = rendered_files(tenant)
    assert by_this_process, "this process rendered no entity file"
    assert helped == {path: alone[path] for path in helped}
    assert len(helped) == len(tenant.entities)
