"""`-o` writes a whole file or nothing, and only to a file: it never replaces a device,
a pipe, a directory or a link's target type, keeps the existing file's permissions, and
leaves no temporary file behind (readable by others) when stopped."""
import os
import signal
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from planner.cli import main

EXAMPLE = ["plan", "--example", "teen-cortical"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result, words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqplan: error: ") and words in lines[0], result.stderr
    assert "Traceback" not in result.output


def leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_a_fifo_is_refused_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused(run(*EXAMPLE, "-o", fifo), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_dev_null_is_refused_and_stays_a_device():
    refused(run(*EXAMPLE, "-o", "/dev/null"), "not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dev_stdout_on_a_pipe_is_refused_not_replaced():
    proc = subprocess.run([sys.executable, "-m", "planner.cli", *EXAMPLE, "-o", "/dev/stdout"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr and proc.stderr.count("\n") == 1
    assert proc.stdout == ""


def test_a_symlink_to_a_fifo_is_refused_and_the_link_stays(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to(tmp_path / "pipe")
    refused(run(*EXAMPLE, "-o", tmp_path / "link"), "not a regular file")
    assert (tmp_path / "link").is_symlink()


def test_a_symlink_to_a_file_writes_the_file_and_keeps_the_link(tmp_path):
    (tmp_path / "real.md").write_text("old")
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    assert run(*EXAMPLE, "-o", tmp_path / "link.md").exit_code == 0
    assert (tmp_path / "link.md").is_symlink()
    assert (tmp_path / "real.md").read_text().startswith("# Sequenced plan")


@pytest.mark.parametrize("target, words", [
    ("", "is an empty path"),
    ("newdir/", "ends with a slash"),
    (".", "is a directory"),
    ("missing/plan.md", "directory does not exist"),
    ("dangling", "symbolic link to nothing"),
])
def test_paths_that_are_not_files_are_refused_with_one_line(tmp_path, monkeypatch, target, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dangling-target-gone").write_text("x")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    refused(run(*EXAMPLE, "-o", target), words)
    assert not (tmp_path / "newdir").exists() and not leftovers(tmp_path)


def test_an_existing_file_keeps_its_permissions(tmp_path):
    out = tmp_path / "plan.md"
    out.write_text("old")
    out.chmod(0o640)
    assert run(*EXAMPLE, "-o", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.read_text().startswith("# Sequenced plan") and not leftovers(tmp_path)


def test_a_new_file_follows_the_umask_not_0600(tmp_path):
    out = tmp_path / "plan.md"
    old = os.umask(0o022)
    try:
        assert run(*EXAMPLE, "-o", out).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


WRITER = r"""
import sys, time
import planner.outputs.output as output

real_fdopen = output.os.fdopen

def slow_fdopen(fd, *a, **k):
    handle = real_fdopen(fd, *a, **k)
    real_write = handle.write
    def write(text):
        print("writing", flush=True)
        time.sleep(30)
        return real_write(text)
    handle.write = write
    return handle

output.os.fdopen = slow_fdopen
output.write_file("patient data", sys.argv[1])
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_mid_write_leaves_no_temporary_file(tmp_path, signum):
    out = tmp_path / "plan.md"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    temps = leftovers(tmp_path)
    assert temps, "the temporary file should exist while writing"
    assert stat.S_IMODE(os.stat(tmp_path / temps[0]).st_mode) == 0o600   # unreadable by others meanwhile
    proc.send_signal(signum)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not leftovers(tmp_path) and not out.exists()
