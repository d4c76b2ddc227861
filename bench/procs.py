"""Memory and CPU of the stack's processes, read from /proc while the load runs.

A component is found by the TCP port it listens on (so it works for the benchmark's own stack and for
one started by ``make up``), then counted with all its descendants: PostgreSQL's backends, worker
processes of a service or a gateway. RSS is summed over that tree (shared pages counted in each
process, the conservative figure); PSS (shared pages divided among their users) is given beside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
_LISTEN = "0A"


@dataclass(frozen=True)
class TreeUsage:
    """One sample of a component's process tree."""

    processes: int
    rss_mb: float
    pss_mb: float
    cpu_seconds: float


@dataclass
class Peak:
    """The highest sample of a component over a measurement, and its CPU time spent in it."""

    processes: int = 0
    rss_mb: float = 0.0
    pss_mb: float = 0.0
    cpu_first: float | None = None
    cpu_last: float = 0.0

    def add(self, usage: TreeUsage) -> None:
        self.processes = max(self.processes, usage.processes)
        self.rss_mb = max(self.rss_mb, usage.rss_mb)
        self.pss_mb = max(self.pss_mb, usage.pss_mb)
        if self.cpu_first is None:
            self.cpu_first = usage.cpu_seconds
        self.cpu_last = usage.cpu_seconds

    @property
    def cpu_seconds(self) -> float:
        return 0.0 if self.cpu_first is None else max(0.0, self.cpu_last - self.cpu_first)


def listening_inodes(table: str, port: int) -> set[int]:
    """Socket inodes listening on ``port`` in a /proc/net/tcp{,6} table."""
    inodes: set[int] = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != _LISTEN:
            continue
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(int(fields[9]))
    return inodes


def status_kb(status: str, key: str) -> int:
    """A ``kB`` figure (``VmRSS``, ``VmHWM``, ``Pss`` …) from /proc/<pid>/status or smaps_rollup text."""
    for line in status.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, ValueError):
        return ""


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def pids_listening(port: int) -> set[int]:
    """Processes holding a socket that listens on 127.0.0.1/any ``port`` (needs root for others' fds)."""
    inodes = listening_inodes(_read(PROC / "net" / "tcp"), port) | listening_inodes(
        _read(PROC / "net" / "tcp6"), port
    )
    if not inodes:
        return set()
    targets = {f"socket:[{i}]" for i in inodes}
    found: set[int] = set()
    for pid in _pids():
        try:
            for fd in os.scandir(PROC / str(pid) / "fd"):
                try:
                    if os.readlink(fd.path) in targets:
                        found.add(pid)
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return found


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for pid in _pids():
        stat = _read(PROC / str(pid) / "stat")
        if stat:
            # The command name may hold spaces and parentheses: fields follow the last ')'.
            parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def roots(pids: Iterable[int], parents: Mapping[int, int]) -> set[int]:
    """The given processes that have no ancestor among them (a pre-fork server's master)."""
    chosen = set(pids)
    result = set()
    for pid in chosen:
        ancestor, seen = parents.get(pid, 0), 0
        while ancestor > 1 and ancestor not in chosen and seen < 64:
            ancestor, seen = parents.get(ancestor, 0), seen + 1
        if ancestor not in chosen:
            result.add(pid)
    return result


def tree(root_pids: Iterable[int], parents: Mapping[int, int]) -> set[int]:
    """The processes and all their descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    stack = list(root_pids)
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.add(pid)
        stack.extend(children.get(pid, []))
    return found


def _cpu_seconds(pid: int) -> float:
    stat = _read(PROC / str(pid) / "stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat (1-based), i.e. 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def usage(pids: Iterable[int]) -> TreeUsage:
    rss = pss = 0
    cpu = 0.0
    count = 0
    for pid in pids:
        status = _read(PROC / str(pid) / "status")
        if not status:
            continue
        count += 1
        rss += status_kb(status, "VmRSS")
        pss += status_kb(_read(PROC / str(pid) / "smaps_rollup"), "Pss")
        cpu += _cpu_seconds(pid)
    return TreeUsage(count, rss / 1024, pss / 1024, cpu)


def machine_busy_seconds(stat: str | None = None) -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    text = _read(PROC / "stat") if stat is None else stat
    for line in text.splitlines():
        if line.startswith("cpu "):
            ticks = [int(v) for v in line.split()[1:]]
            idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
            # guest time is already inside user time
            return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    return 0.0


@dataclass
class StackProcesses:
    """The stack's components by listening port; ``sample()`` reads every tree once."""

    ports: Mapping[str, int]
    roots: dict[str, set[int]] = field(default_factory=dict)

    def discover(self) -> None:
        parents = _parents()
        self.roots = {}
        for name, port in self.ports.items():
            listening = pids_listening(port)
            if listening:
                self.roots[name] = roots(listening, parents)

    def sample(self) -> dict[str, TreeUsage]:
        parents = _parents()
        return {name: usage(tree(pids, parents)) for name, pids in self.roots.items()}

    @property
    def missing(self) -> list[str]:
        return [name for name in self.ports if name not in self.roots]
