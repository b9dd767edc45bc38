"""Progress: a tqdm bar on a terminal, plain lines otherwise, nothing with --quiet."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys

import pytest

from ganbench.cli import main
from ganbench.core import log


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def not_quiet():
    log.set_quiet(False)
    yield
    log.set_quiet(False)


def test_plain_lines_when_not_a_terminal():
    s = io.StringIO()
    with log.progress("gan ring8 seed0 training", 40, stream=s) as p:
        for step in range(10, 41, 10):
            p(step, 40)
    lines = s.getvalue().splitlines()
    assert lines == [
        f"  gan ring8 seed0 training: step {k}/40 ({k * 100 // 40}%)" for k in (10, 20, 30, 40)
    ]
    assert "\r" not in s.getvalue()


def test_plain_lines_are_throttled_to_quarters():
    s = io.StringIO()
    p = log.progress("x", 1000, stream=s)
    for step in range(1, 1001):
        p(step, 1000)
    assert len(s.getvalue().splitlines()) == 4


def test_bar_on_a_terminal():
    s = Terminal()
    with log.progress("training", 40, stream=s) as p:
        for step in range(10, 41, 10):
            p(step, 40)
    text = s.getvalue()
    assert "\r" in text and "training:" in text and "/40 [" in text and "step/s" in text


def test_quiet_silences_progress_not_warnings(capsys):
    log.set_quiet(True)
    s = Terminal()
    with log.progress("training", 40, stream=s) as p:
        p(40, 40)
    log.info("hidden")
    log.warn("shown")
    assert s.getvalue() == ""
    err = capsys.readouterr().err
    assert "hidden" not in err and "warning: shown" in err


def test_run_reports_training_steps_and_evaluation(tmp_path, capsys):
    args = [
        "run",
        "--variant",
        "gan",
        "--dataset",
        "ring8",
        "--preset",
        "smoke",
        "--device",
        "cpu",
        "--no-report",
        "--out",
    ]
    assert main([*args, str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "gan ring8 seed0 training: step 40/40 (100%)" in err
    assert "gan ring8 seed0: evaluating (points metrics)" in err
    assert main([*args, str(tmp_path / "b"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "training" not in err and "evaluating" not in err


def test_real_terminal_gets_a_bar(tmp_path):
    """Through a pseudo-terminal, as a user sees it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ganbench.cli",
            "run",
            "--variant",
            "gan",
            "--dataset",
            "ring8",
            "--preset",
            "smoke",
            "--device",
            "cpu",
            "--no-report",
            "--out",
            str(tmp_path / "o"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode(errors="replace")
    assert "it/s" in text or "step/s" in text or "s/step" in text, text[-2000:]
    assert "\r" in text
