"""Keeps ``make up``'s children running: a crashed child is restarted with backoff, the rest keep serving.

A child that exits (crash, ``SIGKILL``, out of memory) is logged with the tail of its log and started
again after a delay that doubles on each quick failure (1 s, 2 s, 4 s … at most 30 s) and resets once
the child has stayed up for a minute. Stopping (Ctrl-C, ``SIGTERM``) stops every child, newest first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ecosteward.devstack.processes import ManagedProcess


@dataclass
class Child:
    """One supervised process and its restart bookkeeping."""

    process: ManagedProcess
    started_at: float = field(default_factory=time.monotonic)
    failures: int = 0
    restart_at: float | None = None
    restarts: int = 0


class Supervisor:
    def __init__(
        self,
        processes: list[ManagedProcess] | None = None,
        say: Callable[[str], None] = print,
        min_backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
        poll_seconds: float = 0.5,
    ) -> None:
        self.children = [Child(p) for p in processes or []]
        self._say = say
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._stable_after = stable_after
        self._poll = poll_seconds
        self._lock = threading.Lock()

    def add(self, process: ManagedProcess) -> None:
        with self._lock:
            self.children.append(Child(process))

    def backoff(self, failures: int) -> float:
        return float(min(self._max_backoff, self._min_backoff * 2 ** max(failures - 1, 0)))

    def check(self, now: float | None = None) -> None:
        """One round: notice children that exited, restart those whose backoff has passed."""
        with self._lock:
            for child in self.children:
                self._check(child, time.monotonic() if now is None else now)

    def _check(self, child: Child, now: float) -> None:
        process = child.process
        if child.restart_at is None:
            if process.running():
                if child.failures and now - child.started_at >= self._stable_after:
                    child.failures = 0
                return
            code = process.popen.returncode if process.popen is not None else None
            if now - child.started_at >= self._stable_after:
                child.failures = 0
            child.failures += 1
            delay = self.backoff(child.failures)
            child.restart_at = now + delay
            self._say(
                f"{process.name} exited (code {code}); restarting in {delay:.0f}s "
                f"(failure {child.failures}, log {process.log_path})\n{process.tail(10)}"
            )
            return
        if now < child.restart_at:
            return
        child.restart_at = None
        try:
            process.stop()  # reap it and anything left in its process group
            process.start()
        except OSError as exc:
            child.failures += 1
            delay = self.backoff(child.failures)
            child.restart_at = now + delay
            self._say(f"{process.name} could not be restarted ({exc}); next try in {delay:.0f}s")
            return
        child.started_at = now
        child.restarts += 1
        pid = process.popen.pid if process.popen is not None else "?"
        self._say(f"{process.name} restarted (pid {pid}, restart {child.restarts})")

    def run(self, stop: threading.Event) -> None:
        """Supervise until ``stop`` is set (the signal handler sets it), then stop every child."""
        try:
            while not stop.wait(self._poll):
                self.check()
        finally:
            self.stop_all()

    def stop_all(self) -> None:
        with self._lock:
            for child in reversed(self.children):
                child.process.stop()
