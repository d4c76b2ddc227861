"""``make up``'s supervisor: a crashed child comes back, the others stay up, Ctrl-C stops them all.

Small real child processes stand in for nats-server, Keycloak, the services and the gateway: the
supervisor only sees processes (``ManagedProcess``), so what holds for them holds for the stack.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nats

from ecosteward.config import REPO_ROOT
from ecosteward.devstack.components import start_nats
from ecosteward.devstack.processes import ManagedProcess, port_open
from ecosteward.devstack.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not serving either.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def _wait(check: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def _children(tmp_path: Path, names: list[str], argv: list[str] = SLEEPER) -> list[ManagedProcess]:
    return [
        ManagedProcess(
            name=name, argv=argv, log_path=tmp_path / f"{name}.log", pid_dir=tmp_path / "run"
        ).start()
        for name in names
    ]


def _pid(process: ManagedProcess) -> int:
    assert process.popen is not None
    return process.popen.pid


def test_a_killed_child_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    nats, service, gateway = _children(tmp_path, ["nats", "service", "gateway"])
    said: list[str] = []
    supervisor = Supervisor([nats, service, gateway], say=said.append, min_backoff=0.2, poll_seconds=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        first, others = _pid(nats), {_pid(service), _pid(gateway)}
        os.kill(first, signal.SIGKILL)
        _wait(lambda: nats.popen is not None and nats.popen.pid != first and nats.running())
        assert _alive(_pid(nats)) and not _alive(first)
        assert {_pid(service), _pid(gateway)} == others and all(_alive(p) for p in others)
        assert any("nats exited (code -9)" in line for line in said)
        assert any(line.startswith("nats restarted") for line in said)
        # And again: a second crash is handled the same way.
        second = _pid(nats)
        os.kill(second, signal.SIGKILL)
        _wait(lambda: nats.popen is not None and nats.popen.pid != second and nats.running())
        assert {_pid(service), _pid(gateway)} == others
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()
    pids = [_pid_of_log(said, "nats"), *others]
    assert all(p.popen is None for p in (nats, service, gateway))
    assert not any(_alive(p) for p in pids if p)


def _pid_of_log(said: list[str], name: str) -> int:
    restarted = [line for line in said if line.startswith(f"{name} restarted (pid ")]
    return int(restarted[-1].split("(pid ")[1].split(",")[0])


def test_a_crash_loop_backs_off_and_recovers(tmp_path: Path) -> None:
    (crasher,) = _children(tmp_path, ["crasher"], [sys.executable, "-c", "import sys; sys.exit(3)"])
    said: list[str] = []
    supervisor = Supervisor([crasher], say=said.append, min_backoff=1.0, max_backoff=8.0, stable_after=60.0)
    _wait(lambda: not crasher.running())
    child = supervisor.children[0]
    now = time.monotonic()
    delays = []
    for _ in range(5):
        supervisor.check(now)  # notices the exit, schedules the restart
        assert child.restart_at is not None
        delays.append(round(child.restart_at - now))
        supervisor.check(child.restart_at - 0.01)  # too early: nothing happens
        assert child.restart_at is not None
        now = child.restart_at
        supervisor.check(now)  # restarts it; it exits again at once
        assert child.restart_at is None
        _wait(lambda: not crasher.running())
    assert delays == [1, 2, 4, 8, 8]
    assert "crasher exited (code 3)" in said[0]
    # A child that stayed up past stable_after starts from the shortest delay again.
    supervisor.check(now + 61.0)
    assert child.restart_at is not None and round(child.restart_at - (now + 61.0)) == 1
    supervisor.stop_all()


def test_ctrl_c_stops_every_child(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import signal, sys, threading
        from pathlib import Path
        from ecosteward.devstack.processes import ManagedProcess
        from ecosteward.devstack.supervisor import Supervisor

        work = Path({str(tmp_path)!r})
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        children = [
            ManagedProcess(name=n, argv={SLEEPER!r}, log_path=work / (n + ".log")).start() for n in ("a", "b")
        ]
        print(" ".join(str(c.popen.pid) for c in children), flush=True)
        Supervisor(children, poll_seconds=0.05).run(stop)
        print("stopped", flush=True)
        """
    )
    up = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert up.stdout is not None
        pids = [int(p) for p in up.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        up.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        out, _ = up.communicate(timeout=30)
        assert up.returncode == 0 and "stopped" in out
        _wait(lambda: not any(_alive(p) for p in pids), timeout=10)
    finally:
        if up.poll() is None:
            up.kill()


def _free_port() -> int:
    while True:
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            if port + 4000 > 65535:
                continue
            try:
                b.bind(("127.0.0.1", port + 4000))  # nats-server's monitoring port
            except OSError:
                continue
            return port


def test_a_killed_nats_server_comes_back_with_its_jetstream_store(tmp_path: Path) -> None:
    port = _free_port()
    server = start_nats(port, tmp_path, tmp_path / "run")
    (other,) = _children(tmp_path, ["service"])
    said: list[str] = []
    supervisor = Supervisor([server, other], say=said.append, min_backoff=0.2, poll_seconds=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()

    async def publish_then_count(publish: bool) -> int:
        nc = await nats.connect(f"nats://127.0.0.1:{port}", connect_timeout=2)
        try:
            js = nc.jetstream()
            if publish:
                await js.add_stream(name="SUPERVISED", subjects=["supervised.>"])
                for i in range(5):
                    await js.publish("supervised.note", str(i).encode())
            return int((await js.stream_info("SUPERVISED")).state.messages)
        finally:
            await nc.close()

    try:
        assert asyncio.run(publish_then_count(True)) == 5
        first, service_pid = _pid(server), _pid(other)
        os.kill(first, signal.SIGKILL)
        _wait(lambda: server.popen is not None and server.popen.pid != first and port_open(port), timeout=20)
        assert asyncio.run(publish_then_count(False)) == 5  # what was stored survived the crash
        assert _pid(other) == service_pid and other.running()
        assert any(line.startswith(f"{server.name} restarted") for line in said)
    finally:
        stop.set()
        thread.join(30)
    assert not port_open(port) and not _alive(service_pid)
