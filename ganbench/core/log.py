"""Progress and log lines on stderr; `quiet` silences them.

Long work (training steps, evaluation stages) reports through `progress(...)`: a tqdm bar when
stderr is a terminal, plain lines (at each quarter and at least every 30 s) when it is not, e.g. in
CI logs or when piped to a file. `quiet` silences progress only: warnings (`warn`), failed runs and
notices (`notice`: a line the user must see, e.g. that this process waits for another one) always
print.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

_quiet = False
PLAIN_EVERY_SECONDS = 30.0


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


def is_quiet() -> bool:
    return _quiet


def info(msg: str) -> None:
    if not _quiet:
        print(msg, file=sys.stderr, flush=True)


def warn(msg: str) -> None:
    print(f"ganbench: warning: {msg}", file=sys.stderr, flush=True)


def notice(msg: str) -> None:
    """A line that prints even under --quiet (not a problem, but the user must know)."""
    print(f"ganbench: {msg}", file=sys.stderr, flush=True)


def stage(msg: str) -> None:
    """One line naming the stage of work about to start (e.g. 'evaluating: image metrics')."""
    info(f"  {msg}")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Callable `progress(done, total)`: a tqdm bar on a terminal, plain lines otherwise.

    Use as a context manager (or call `close()`), so a bar is cleared when the work ends.
    """

    def __init__(
        self, desc: str, total: int | None = None, unit: str = "step", stream: TextIO | None = None
    ) -> None:
        self.desc, self.total, self.unit = desc, total, unit
        self.stream = stream if stream is not None else sys.stderr
        self._bar = None
        self._next_quarter = 1
        self._last_line = time.monotonic()
        self._done = 0
        self.enabled = not _quiet
        if self.enabled and _is_terminal(self.stream):
            from tqdm import tqdm

            # a terminal that reports no size (e.g. a fresh pty: tqdm would then draw nothing)
            # still gets a 100-column bar
            size = shutil.get_terminal_size((100, 24))
            self._bar = tqdm(
                total=total,
                desc=desc,
                unit=unit,
                file=self.stream,
                leave=False,
                ncols=min(size.columns, 120),
                nrows=max(size.lines, 4),
            )

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        if total is not None:
            self.total = total
            if self._bar is not None and self._bar.total != total:
                self._bar.total = total
        if self._bar is not None:
            self._bar.update(max(0, done - self._done))
            self._done = done
            return
        self._done = done
        now = time.monotonic()
        quarter = 0 if not self.total else int(4 * done / self.total)
        if quarter >= self._next_quarter or now - self._last_line >= PLAIN_EVERY_SECONDS:
            self._next_quarter = quarter + 1
            self._last_line = now
            of = f"/{self.total}" if self.total else ""
            pct = f" ({100 * done / self.total:.0f}%)" if self.total else ""
            print(f"  {self.desc}: {self.unit} {done}{of}{pct}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(
    desc: str, total: int | None = None, unit: str = "step", stream: TextIO | None = None
) -> Progress:
    return Progress(desc, total, unit, stream)
