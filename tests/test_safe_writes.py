"""The output folder under pressure: files the user put in the way, odd folder names, concurrent
runs, and runs that are killed or interrupted. Nothing of the user's is ever lost, and an
interrupted run leaves the previous output as it was."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator import render
from generator.render import render_workers
from generator.snapshot import Snapshot, load_demo_snapshot
from generator.write import output_lock

from tools import REPO, generated_tree

EXAMPLE = REPO / "generated_example"


def generate(*args: str | Path) -> Result:
    return CliRunner().invoke(
        main,
        ["generate", *[str(arg) for arg in args]],
        env={"MINICRM_API_KEY": "", "MINICRM_SYSTEM_ID": ""},
    )


def demo_without_invoicing(folder: Path) -> Path:
    """The demo schema without module 8 ('Invoicing', models/invoicing.py)."""
    demo = load_demo_snapshot()
    smaller = {k: v for k, v in demo.endpoints.items() if k != "Schema/Project/8"}
    smaller["Category"] = {
        k: v for k, v in demo.endpoints["Category"].items() if k != "8"
    }
    schema = folder / "smaller.json"
    Snapshot(smaller, demo.base_url, demo.system_id).write(schema)
    return schema


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# -- 1. a user's file where a generated file now goes ------------------------------------------------


def put_in_the_way(out: Path, how: str) -> Path:
    """Make the user own a path that the full demo schema generates; returns that path."""
    models = out / "minicrm_demo" / "models"
    if how == "a file at a new module's path":
        mine = models / "invoicing.py"
        mine.write_text("# my own invoicing code\n", encoding="utf-8")
    elif how == "a folder where a generated file was":
        mine = models / "sales.py"
        mine.unlink()
        mine.mkdir()
        (mine / "notes.txt").write_text("my notes\n", encoding="utf-8")
    else:  # a file where a generated folder was
        mine = models
        shutil.rmtree(mine)
        mine.write_text("my models\n", encoding="utf-8")
    return mine


CONFLICTS = [
    "a file at a new module's path",
    "a folder where a generated file was",
    "a file where a generated folder was",
]


@pytest.mark.parametrize("how", CONFLICTS)
def test_a_user_file_in_the_way_is_refused_and_nothing_is_written(
    tmp_path: Path, how: str
) -> None:
    out = tmp_path / "out"
    schema = demo_without_invoicing(tmp_path)
    assert generate("--schema", schema, "--output", out, "--quiet").exit_code == 0
    mine = put_in_the_way(out, how)
    before = files_under(out)
    result = generate("--demo", "--output", out)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert f"{mine} " in result.stderr and "--force" in result.stderr
    assert files_under(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "smaller.json"]


@pytest.mark.parametrize("how", CONFLICTS)
def test_with_force_a_user_file_in_the_way_is_moved_aside_never_deleted(
    tmp_path: Path, how: str
) -> None:
    out = tmp_path / "out"
    schema = demo_without_invoicing(tmp_path)
    assert generate("--schema", schema, "--output", out, "--quiet").exit_code == 0
    mine = put_in_the_way(out, how)
    theirs = {
        path: data
        for path, data in files_under(out).items()
        if path.startswith(mine.relative_to(out).as_posix())
    }
    result = generate("--demo", "--output", out, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    aside = mine.with_name(mine.name + ".mine")
    assert result.stderr == f"note: moved your {mine} aside to {aside}\n"
    assert generated_tree(out) == generated_tree(EXAMPLE)
    moved = {
        path.replace(mine.name, aside.name, 1): data for path, data in theirs.items()
    }
    assert {path: files_under(out)[path] for path in moved} == moved
    # The moved file is the user's now: the next run keeps it where it is.
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    assert {path: files_under(out)[path] for path in moved} == moved


def test_a_name_taken_aside_gets_a_number(tmp_path: Path) -> None:
    out = tmp_path / "out"
    schema = demo_without_invoicing(tmp_path)
    assert generate("--schema", schema, "--output", out, "--quiet").exit_code == 0
    models = out / "minicrm_demo" / "models"
    (models / "invoicing.py").write_text("mine\n", encoding="utf-8")
    (models / "invoicing.py.mine").write_text("older\n", encoding="utf-8")
    result = generate("--demo", "--output", out, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert "aside to " + str(models / "invoicing.py.mine-2") in result.stderr
    assert (models / "invoicing.py.mine-2").read_text(encoding="utf-8") == "mine\n"
    assert (models / "invoicing.py.mine").read_text(encoding="utf-8") == "older\n"


def test_forcing_into_a_foreign_folder_moves_same_named_files_aside(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("my project\n", encoding="utf-8")
    result = generate("--demo", "--output", out, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "README.md.mine").read_text(encoding="utf-8") == "my project\n"
    assert generated_tree(out) == generated_tree(EXAMPLE)


# -- 2. output names are names, not glob patterns ---------------------------------------------------


def test_an_output_named_like_a_glob_finishes_its_own_cut_short_swap(
    tmp_path: Path,
) -> None:
    out = tmp_path / "acme[prod]"
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    (out / "mine.txt").write_text("keep", encoding="utf-8")
    out.rename(tmp_path / ".acme[prod].minicrm-old-abc123")  # killed between renames
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    assert (out / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert generated_tree(out) == generated_tree(EXAMPLE)
    assert [p.name for p in tmp_path.iterdir()] == ["acme[prod]"]


@pytest.mark.parametrize(
    ("output", "others"),
    [
        ("acme[prod]", [".acmep.minicrm-new-abc123", ".acmer.minicrm-old-abc123"]),
        ("acme*", [".acme-x.minicrm-new-abc123", ".acmeprod.minicrm-old-abc123"]),
        ("acme", [".acme.minicrm-new-x.minicrm-old-abc123", ".acme.minicrm-new-1.x"]),
    ],
)
def test_other_outputs_staging_and_backup_folders_are_left_alone(
    tmp_path: Path, output: str, others: list[str]
) -> None:
    for name in others:
        (tmp_path / name).mkdir()
        (tmp_path / name / "theirs.txt").write_text(name, encoding="utf-8")
    assert generate("--demo", "--output", tmp_path / output, "--quiet").exit_code == 0
    for name in others:
        assert (tmp_path / name / "theirs.txt").read_text(encoding="utf-8") == name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([output, *others])


# -- 3. one run at a time per output folder ----------------------------------------------------------


def test_a_second_run_into_a_folder_being_written_fails_with_one_line(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    before = files_under(out)
    with output_lock(out.absolute()):  # as another run holds it, while it writes:
        staging = tmp_path / ".out.minicrm-new-abc123"
        staging.mkdir()
        (staging / "README.md").write_text("being written", encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "generator", "generate", "--demo", "-o", out],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert result.returncode == 1
        assert result.stderr == (
            f"error: another minicrm-codegen run is writing {out}; "
            "run again when it has finished\n"
        )
        assert files_under(out) == before
        assert files_under(staging) == {"README.md": b"being written"}
        staging.rename(tmp_path / "elsewhere")  # the other run's swap
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "out"]


def test_a_lock_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".out.minicrm-lock").mkdir()
    result = generate("--demo", "--output", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot write {tmp_path / 'out'}: cannot create .out.minicrm-lock "
        "beside it (Is a directory)\n"
    )
    assert not (tmp_path / "out").exists()


def test_concurrent_runs_into_one_folder_leave_it_complete(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    (out / "mine.txt").write_text("keep", encoding="utf-8")
    command = [sys.executable, "-m", "generator", "generate", "--demo", "-qo", out]
    runs = [
        subprocess.Popen(
            command, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outcomes = [(run.communicate(timeout=300)[1], run.returncode) for run in runs]
    for stderr, code in outcomes:
        assert (code, stderr.count("\n")) in ((0, 0), (1, 1)), stderr
        assert code == 0 or "another minicrm-codegen run is writing" in stderr
    assert any(code == 0 for _, code in outcomes)
    assert generated_tree(out) == generated_tree(EXAMPLE)
    assert (out / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_signal_during_the_swap_comes_too_late_and_the_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    schema = demo_without_invoicing(tmp_path)
    assert generate("--schema", schema, "--output", out, "--quiet").exit_code == 0
    replace = os.replace

    def interrupted_replace(source: Any, target: Any) -> None:
        replace(source, target)
        if Path(source) == out:  # between the two renames: no output folder at all
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(os, "replace", interrupted_replace)
    result = generate("--demo", "--output", out, "--quiet")
    monkeypatch.setattr(os, "replace", replace)
    assert result.exit_code == 0, result.output
    assert generated_tree(out) == generated_tree(EXAMPLE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "smaller.json"]


# -- 4. killed and interrupted runs --------------------------------------------------------------------


def big_tenant(modules: int = 16, fields: int = 300) -> Snapshot:
    """Enough modules and fields that rendering runs in worker processes for a while (about
    1.5 s on a quiet 2-core machine), long enough for the tests to stop it midway."""
    category = {str(100 + m): f"Modul {m}" for m in range(modules)}
    endpoints: dict[str, Any] = {
        "Category": category,
        "Category?Detailed=1": {
            key: {"Id": int(key), "Name": name, "Type": "Generic"}
            for key, name in category.items()
        },
        "Schema/Business": {"Id": "Int", "Name": "Text(255)"},
        "Schema/Person": {"Id": "Int", "FirstName": "Text(255)"},
    }
    for m, key in enumerate(category):
        schema: dict[str, Any] = {
            "Id": "Int",
            "Name": "Text(512)",
            "CategoryId": category,
        }
        for f in range(fields):
            if f % 3 == 0:
                schema[f"Enum{m}_{f}"] = {
                    str(100000 + m * 10000 + f * 20 + j): f"Opció {j}"
                    for j in range(20)
                }
            else:
                schema[f"Text{m}_{f}"] = "Text(1024)"
        endpoints[f"Schema/Project/{key}"] = schema
    return Snapshot(endpoints, "http://127.0.0.1:1/Api/R3", "big")


def live_processes() -> Iterator[tuple[int, list[str]]]:
    """Each live process's pid and the fields of its /proc stat after its name (state,
    parent, process group, session, ...)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                yield int(entry.name), stat


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is ``pid``."""
    return {child for child, stat in live_processes() if int(stat[1]) == pid}


def holds_unlinked_file(pid: int) -> bool:
    """Whether ``pid`` has a file open that was deleted (from /proc)."""
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return any(link.endswith(" (deleted)") for link in links)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return stat[0] != "Z"


def wait_until(condition: Any, what: str, timeout: float = 120) -> None:
    """Poll ``condition`` (a liveness bound, not a speed target)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


@pytest.fixture
def big_run(tmp_path: Path) -> Iterator[tuple[Path, dict[str, bytes], list[str]]]:
    """A previous output of a big tenant, and the command that regenerates it."""
    schema = tmp_path / "big.json"
    big_tenant().write(schema)
    out = tmp_path / "out"
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    command = [sys.executable, "-m", "generator", "generate", "--schema", str(schema)]
    yield out, files_under(out), [
        *command,
        "--output",
        str(out),
        "--package-name",
        "big",
    ]


def start_rendering(
    command: list[str], **popen: Any
) -> tuple[subprocess.Popen[str], set[int]]:
    """Start ``command`` and wait until it renders in its workers; returns them too.

    Workers start before the schema is read; rendering has started once the run holds the
    spool of rendered files open (a temporary file without a name).
    """
    run = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
    workers: set[int] = set()

    def rendering_in_workers() -> bool:
        workers.update(children_of(run.pid))
        started = len(workers) >= render_workers() and holds_unlinked_file(run.pid)
        return started or run.poll() is not None

    wait_until(rendering_in_workers, "the render workers to start")
    assert run.poll() is None and workers, "the run ended before it could be stopped"
    return run, workers


IN_WORKERS = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or render_workers() < 1,
    reason="reads /proc; entities render in worker processes only with 2 or more CPUs",
)


@IN_WORKERS
@pytest.mark.parametrize(
    ("how", "code"),
    [("SIGKILL", -signal.SIGKILL), ("SIGTERM", 143), ("Ctrl-C", 130)],
)
def test_a_run_stopped_mid_render_leaves_no_workers_and_the_old_output(
    big_run: tuple[Path, dict[str, bytes], list[str]], how: str, code: int
) -> None:
    out, before, command = big_run
    temporary = out.parent / "tmp"
    temporary.mkdir()
    run, workers = start_rendering(
        command, start_new_session=True, env={**os.environ, "TMPDIR": str(temporary)}
    )
    # Rendered files wait in a temporary file without a name: nothing to leave behind.
    assert not_compiled_templates(temporary) == []
    if how == "Ctrl-C":  # the terminal signals the whole foreground process group
        os.killpg(run.pid, signal.SIGINT)
    else:
        os.kill(run.pid, getattr(signal, how))
    _, stderr = run.communicate(timeout=120)
    wait_until(lambda: not any(alive(pid) for pid in workers), "the workers to exit")
    assert run.returncode == code
    if how != "SIGKILL":
        assert stderr == "interrupted; nothing was written\n"
    assert files_under(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == []
    assert not_compiled_templates(temporary) == []


def in_session(session: int) -> set[int]:
    """Live processes of a session."""
    return {member for member, stat in live_processes() if int(stat[3]) == session}


@IN_WORKERS
def test_a_run_that_fails_before_rendering_leaves_no_worker(tmp_path: Path) -> None:
    """The render worker starts before the schema is read; a schema that cannot be read
    still ends the run at once, in one line, with the worker gone."""
    schema = tmp_path / "schema.json"
    schema.write_text("{not json", encoding="utf-8")
    run = subprocess.Popen(
        [sys.executable, "-m", "generator", "generate", "--schema", str(schema)]
        + ["--output", str(tmp_path / "out")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 1, stderr
    assert stderr.startswith("error: snapshot ") and stderr.count("\n") == 1, stderr
    # The run led a session of its own: a process still in it is a worker it left.
    assert in_session(run.pid) == set()
    assert not (tmp_path / "out").exists()


@IN_WORKERS
def test_a_render_worker_that_cannot_start_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken installation (datamodel-code-generator missing) fails in the worker before
    its first job: the run says so in one line, not 'run again'."""

    def broken() -> None:
        raise ImportError("No module named 'datamodel_code_generator'\n(more)")

    monkeypatch.setattr(
        render, "_import_datamodel", broken
    )  # the worker is forked later
    result = generate("--demo", "--output", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: a rendering process could not start (ImportError: No module named "
        "'datamodel_code_generator' (more)); reinstall minicrm-codegen\n"
    )
    assert not (tmp_path / "out").exists()


@IN_WORKERS
def test_a_render_worker_that_dies_within_a_message_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed while sending a result (the out-of-memory killer does not wait for a message
    to end): the receiver reads half a message, and the run says the worker ended."""
    parent = os.getpid()
    send = Connection.send

    def half_then_die(self: Connection, obj: Any) -> None:
        if os.getpid() == parent:
            send(self, obj)
            return
        data = pickle.dumps(obj)
        self._send(struct.pack("!i", len(data)) + data[: len(data) // 2])  # type: ignore[attr-defined]
        os._exit(9)

    monkeypatch.setattr(Connection, "send", half_then_die)  # the worker is forked later
    result = generate("--demo", "--output", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: a rendering process ended unexpectedly (exit code 9); "
        "nothing was written, run again\n"
    )
    assert not (tmp_path / "out").exists()


def not_compiled_templates(temporary: Path) -> list[str]:
    """What a run keeps in its temporary folder besides Jinja's compiled templates."""
    return [p.name for p in temporary.iterdir() if not p.name.startswith("_jinja2")]


@IN_WORKERS
def test_a_render_worker_killed_by_the_system_is_a_one_line_error(
    big_run: tuple[Path, dict[str, bytes], list[str]],
) -> None:
    out, before, command = big_run
    run, workers = start_rendering(command)
    os.kill(min(workers), signal.SIGKILL)  # as the out-of-memory killer would
    _, stderr = run.communicate(timeout=120)
    wait_until(lambda: not any(alive(pid) for pid in workers), "the workers to exit")
    assert run.returncode == 1
    assert stderr == (
        "error: a rendering process ended unexpectedly (exit code -9); "
        "nothing was written, run again\n"
    )
    assert files_under(out) == before
