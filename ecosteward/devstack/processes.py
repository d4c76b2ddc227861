"""Child processes with logs, readiness checks, pid files and clean shutdown."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class StartError(RuntimeError):
    pass


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, process: ManagedProcess | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and process.popen is not None and process.popen.poll() is not None:
            raise StartError(
                f"{what} exited with {process.popen.returncode}; see {process.log_path}\n{process.tail()}"
            )
        time.sleep(0.25)
    tail = process.tail() if process is not None else ""
    raise StartError(f"{what} not ready after {timeout:.0f}s\n{tail}")


@dataclass
class ManagedProcess:
    """One child process in its own session (so a terminal Ctrl-C reaches only the supervisor)."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    pid_dir: Path | None = None
    user: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path | None:
        return None if self.pid_dir is None else self.pid_dir / f"{self.name}.pid"

    def kill_stale(self) -> None:
        """Stop a leftover process from an earlier run that died without cleaning up."""
        pid_file = self.pid_file
        if pid_file is None or not pid_file.exists():
            return
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            pgid = int(pid_file.read_text().strip())
            os.killpg(pgid, signal.SIGTERM)
            for _ in range(40):
                time.sleep(0.25)
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break
            else:
                os.killpg(pgid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)

    def start(self) -> ManagedProcess:
        self.kill_stale()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        argv = list(self.argv)
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        self.popen = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            start_new_session=True,
        )
        log.close()
        if self.pid_file is not None:
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            self.pid_file.write_text(str(self.popen.pid))
        return self

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        # Children of the group (e.g. java under kc.sh) go with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        self.popen = None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
