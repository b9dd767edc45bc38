"""Per-run claims: several processes (or machines on a shared filesystem) work through one suite
without training the same run twice.

Before a run is trained, its folder gets a `claim.json` holding the owner's pid, host, process
start time and a random token. It is created atomically (io.create_exclusive: whoever creates the
name first owns the run); the owner deletes it after result.json is written. Another process that
finds the claim skips the run and comes back to it later (suite.run_suite waits for it at the end).

A claim whose owner is gone (same host, pid no longer running, or running but started at another
time: the pid was reused) is stale: it is taken over with a warning. A claim from another host
cannot be checked from here and counts as live; delete it by hand if that machine is gone.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ganbench.core.io import create_exclusive
from ganbench.core.log import notice, warn

CLAIM = "claim.json"
POLL_SECONDS = 1.0
# A claim file that cannot be read is taken to be mid-creation (the O_EXCL fallback of
# create_exclusive writes after creating) for this long, and stale after it.
UNREADABLE_GRACE_SECONDS = 10.0


def _proc_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22 of proc(5), counted after the name


@dataclass(frozen=True)
class Owner:
    """Who holds a claim."""

    pid: int
    host: str
    started: str  # ISO time, UTC
    token: str
    pid_start: str | None = None

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}"

    def alive(self) -> bool:
        """False only when the owner is known to be gone: same host and its pid is not running
        (or now belongs to a process started at another time)."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # running, as another user
            return True
        now_start = _proc_start(self.pid)
        return self.pid_start is None or now_start is None or now_start == self.pid_start


def me() -> Owner:
    pid = os.getpid()
    return Owner(
        pid,
        socket.gethostname(),
        datetime.now(UTC).isoformat(timespec="seconds"),
        uuid.uuid4().hex,
        _proc_start(pid),
    )


def _read_owner(path: Path) -> Owner | None | str:
    """The owner in `path`; None when there is no file; "unreadable" when it cannot be parsed."""
    try:
        d = json.loads(path.read_text())
        return Owner(
            int(d["pid"]), str(d["host"]), str(d["started"]), str(d["token"]), d.get("pid_start")
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable"


@dataclass(frozen=True)
class Claim:
    """A claim this process holds on one run folder."""

    folder: Path
    owner: Owner

    @property
    def path(self) -> Path:
        return self.folder / CLAIM

    def held(self) -> bool:
        """True while the claim file is still ours (nobody took it over)."""
        found = _read_owner(self.path)
        return isinstance(found, Owner) and found.token == self.owner.token

    def release(self) -> None:
        """Delete the claim file if it is still ours."""
        if self.held():
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _take_over(path: Path, stale: Owner | str) -> bool:
    """Move the stale claim aside and delete it; False when what was moved was not the stale one
    (someone took it over in between), which is then put back."""
    aside = path.with_name(f".{CLAIM}.{uuid.uuid4().hex}.stale")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return True  # already gone: try to claim again
    moved = _read_owner(aside)
    same = (
        moved == "unreadable"
        if isinstance(stale, str)
        else isinstance(moved, Owner) and moved.token == stale.token
    )
    if not same:  # a fresh claim of a third process: give it back
        try:
            os.link(aside, path)
        except OSError:
            pass
    aside.unlink(missing_ok=True)
    return same


def acquire(folder: Path, what: str, owner: Owner | None = None) -> Claim | Owner:
    """Our claim on `folder`, or the live Owner that holds it. A stale claim is taken over, with a
    warning naming `what` (e.g. 'gan ring8 seed0') and the owner that is gone."""
    folder = Path(folder)
    owner = owner or me()
    path = folder / CLAIM
    data = (json.dumps(asdict(owner), indent=2) + "\n").encode()
    for _ in range(5):
        if create_exclusive(path, data):
            return Claim(folder, owner)
        found = _read_owner(path)
        if found is None:
            continue  # released in between: try again
        if isinstance(found, Owner):
            if found.token == owner.token:
                return Claim(folder, owner)
            if found.alive():
                return found
            gone = f"{found.describe()}, claimed {found.started}, is no longer running"
        else:
            try:
                age = time.time() - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age < UNREADABLE_GRACE_SECONDS:
                return Owner(0, "?", "", "")  # being written right now: counts as live
            gone = "its claim file cannot be read"
        if _take_over(path, found):
            warn(f"{what}: stale claim taken over ({gone}; {path})")
    found = _read_owner(path)
    return found if isinstance(found, Owner) else Owner(0, "?", "", "")


def note_waiting(held: dict[str, Owner], seen: set[tuple[str, ...]]) -> None:
    """One line per owner: 'waiting for N runs claimed by pid P on host H', printed again only
    when what we wait for changes (`seen` remembers what was said)."""
    by_owner: dict[str, list[str]] = {}
    for what, o in held.items():
        by_owner.setdefault(o.describe() if o.pid else "another process", []).append(what)
    for who, items in sorted(by_owner.items()):
        key = (who, *sorted(items))
        if key in seen:
            continue
        seen.add(key)
        n = len(items)
        notice(f"waiting for {n} run{'s' if n != 1 else ''} claimed by {who} ({', '.join(items)})")


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


class ClaimQueue:
    """Runs to do, handed out one at a time under a claim; runs other processes hold are skipped
    for now and retried on every `take`, until they are finished (by their owner) or free.

    `read(folder)` returns the run's stored result (or None), `final(row)` says whether it is
    finished for good (never redone, never overwritten). A run seen held by another process that
    then leaves a result that is not final (it failed there) is not redone here either: that
    result is taken as the run's outcome, so one suite invocation trains each run at most once.
    """

    def __init__(self, items, folder_of, what_of, read, final) -> None:
        self.pending = list(items)
        self.folder_of, self.what_of, self.read, self.final = folder_of, what_of, read, final
        self.held: dict[str, Owner] = {}  # what -> owner, as of the last take()
        self.elsewhere: list[tuple[object, dict]] = []  # (item, row) finished by another process
        self._seen_held: dict[str, int | None] = {}  # what -> result.json mtime when first held
        self._said: set[tuple[str, ...]] = set()

    def _outcome_elsewhere(self, item) -> dict | None:
        """The run's result when another process finished it (or failed it after holding it)."""
        folder, what = Path(self.folder_of(item)), self.what_of(item)
        row = self.read(folder)
        if row is None:
            return None
        if self.final(row):
            return row
        if what in self._seen_held and _mtime(folder / "result.json") != self._seen_held[what]:
            return row  # written by the owner we waited for: its outcome, not ours to redo
        return None

    def take(self):
        """(item, Claim) for the first pending run this process may do now, or None."""
        self.held = {}
        for item in list(self.pending):
            folder, what = Path(self.folder_of(item)), self.what_of(item)
            row = self._outcome_elsewhere(item)
            if row is not None:
                self.pending.remove(item)
                self.elsewhere.append((item, row))
                continue
            got = acquire(folder, what)
            if isinstance(got, Owner):
                self.held[what] = got
                self._seen_held.setdefault(what, _mtime(folder / "result.json"))
                continue
            row = self._outcome_elsewhere(item)  # again, under the claim: finished meanwhile?
            if row is not None:
                got.release()
                self.pending.remove(item)
                self.elsewhere.append((item, row))
                continue
            self.pending.remove(item)
            return item, got
        return None

    def drain_elsewhere(self) -> list[tuple[object, dict]]:
        done, self.elsewhere = self.elsewhere, []
        return done

    def wait(self, seconds: float = POLL_SECONDS) -> None:
        """Say (once per change) which runs we wait for, then sleep `seconds`."""
        if self.held:
            note_waiting(self.held, self._said)
        time.sleep(seconds)
