"""The load benchmark's pure parts: wrk's output, the generated Lua script, the request pools, the targets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bench.load import Row, TargetCheck, check_targets, request_pool
from bench.procs import listening_inodes, machine_busy_seconds, roots, status_kb, tree
from bench.wrk import (
    SEQUENCE_MARKER,
    PoolRequest,
    WrkResult,
    lua_script,
    lua_string,
    parse_wrk_output,
    wrk_argv,
)

WRK_TEXT = """Running 10s test @ http://127.0.0.1:24000/graphql
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.31ms    9.02ms 212.40ms   91.20%
    Req/Sec   420.11     61.33   530.00     70.00%
  Latency Distribution
     50%   10.52ms
     75%   14.03ms
     90%   19.77ms
     99%    1.20s
  8372 requests in 10.02s, 14.95MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    835.53
Transfer/sec:      1.49MB
"""


def test_wrk_latency_text_is_read_with_its_units() -> None:
    result = parse_wrk_output(WRK_TEXT)
    assert result.p50_ms == pytest.approx(10.52)
    assert result.p90_ms == pytest.approx(19.77)
    assert result.p99_ms == pytest.approx(1200.0)  # seconds become milliseconds
    assert result.requests == 8372
    assert result.duration_s == pytest.approx(10.02)
    assert result.rps == pytest.approx(8372 / 10.02)
    assert (result.non_2xx, result.socket_errors, result.graphql_errors) == (7, 5, 0)
    assert result.errors == 12


def test_wrk_microsecond_percentiles() -> None:
    text = WRK_TEXT.replace("10.52ms", "812.00us").replace("1.20s", "2.50ms")
    result = parse_wrk_output(text)
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(2.5)


def test_the_script_result_line_wins_over_the_text() -> None:
    line = (
        'BENCH_RESULT {"requests": 500, "duration_us": 5000000, "p50_us": 3100.0, "p90_us": 5000.0, '
        '"p99_us": 9000.5, "max_us": 20000.0, "non_2xx": 1, "graphql_errors": 4, "socket_errors": 2}'
    )
    result = parse_wrk_output(WRK_TEXT + line + "\n")
    assert result == WrkResult(500, 5.0, 3.1, 9.0005, 1, 4, 2, 5.0, 20.0)
    assert result.rps == 100.0
    assert result.errors == 7


def test_output_without_percentiles_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_wrk_output("Running 10s test @ http://x\n  100 requests in 1.00s, 1KB read\n")


def test_lua_strings_escape_quotes_backslashes_and_bytes() -> None:
    assert lua_string('a"b\\c') == '"a\\"b\\\\c"'
    assert lua_string("é\n") == '"\\195\\169\\010"'


def test_lua_script_holds_every_body_and_token_once() -> None:
    bodies = [json.dumps({"query": "q", "variables": {"after": f"c{i}"}}) for i in range(5)]
    pool = [PoolRequest(i % 2, body) for i, body in enumerate(bodies)]
    script = lua_script(["tok-a", "tok-b"], pool, threads=2)
    for body in bodies:
        assert script.count(lua_string(body)) == 1
    assert script.count('"tok-a"') == 1 and script.count('"tok-b"') == 1
    # Lua indexes from 1: the pool refers to tokens 1 and 2.
    assert "{1, " in script and "{2, " in script
    assert "local nthreads = 2" in script
    assert "function response(status, headers, body)" in script


def test_lua_script_refuses_an_empty_pool_or_a_missing_token() -> None:
    with pytest.raises(ValueError):
        lua_script(["t"], [])
    with pytest.raises(ValueError):
        lua_script(["t"], [PoolRequest(1, "{}")])


class _Echo(BaseHTTPRequestHandler):
    """Answers like a GraphQL server: an error in the body, a 500, or data; remembers what it got."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str]]] = []

    def log_message(self, *_args: object) -> None:
        return

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["content-length"])).decode()
        self.seen.append((self.headers.get("authorization", ""), raw))
        variables = json.loads(raw)["variables"]
        status = 200
        answer: dict[str, Any] = {"data": {"v": variables}}
        if variables.get("bad"):
            answer = {"data": None, "errors": [{"message": "no"}]}
        elif variables.get("fail"):
            status, answer = 500, {"errors": [{"message": "down"}]}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/bench-tools.sh)")
def test_the_script_under_wrk_counts_errors_and_sends_fresh_writes(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pool = [
            PoolRequest(i % 2, json.dumps({"query": "m", "variables": {"a": f"{i} {SEQUENCE_MARKER}"}}))
            for i in range(20)
        ]
        pool += [PoolRequest(0, '{"query": "q", "variables": {"bad": 1}}')]
        pool += [PoolRequest(1, '{"query": "q", "variables": {"fail": 1}}')]
        script = tmp_path / "load.lua"
        script.write_text(lua_script(["tok-a", "tok-b"], pool, threads=1))
        url = f"http://127.0.0.1:{server.server_address[1]}/graphql"
        argv = wrk_argv(str(shutil.which("wrk")), url, script, connections=2, threads=1, seconds=1)
        output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout
    finally:
        server.shutdown()
    result = parse_wrk_output(output)
    bodies = [body for _, body in _Echo.seen]
    laps = result.requests / len(pool)
    assert result.requests > 0 and result.p50_ms > 0
    # One bad and one failing request per lap through the pool (wrk may stop mid-lap).
    assert abs(result.graphql_errors - laps) <= 2 and abs(result.non_2xx - laps) <= 2
    writes = [b for b in bodies if '"a"' in b]
    assert writes and not any(SEQUENCE_MARKER in b for b in writes)
    assert len(set(writes)) == len(writes)  # every write carries new data
    assert {auth for auth, _ in _Echo.seen} == {"Bearer tok-a", "Bearer tok-b"}


def test_request_pool_varies_bodies_and_rotates_each_users_tokens() -> None:
    requests = [("u1", {"after": f"c{i}"}) for i in range(6)] + [("u2", {"after": f"d{i}"}) for i in range(4)]
    pool = request_pool(requests, "query Q { x }", ["u1", "u2"], tokens_per_user=2, size=100)
    assert len(pool) == 10
    assert len({p.body for p in pool}) == 10  # no two requests alike
    by_user: dict[str, set[int]] = {"u1": set(), "u2": set()}
    for p in pool:
        user = "u1" if '"c' in p.body else "u2"
        by_user[user].add(p.token)
    assert by_user == {"u1": {0, 1}, "u2": {2, 3}}  # each user's own tokens, both of them used
    assert all(json.loads(p.body)["query"] == "query Q { x }" for p in pool)
    assert len(request_pool(requests, "q", ["u1", "u2"], 1, size=3)) == 3


def test_the_write_marker_survives_json_encoding() -> None:
    pool = request_pool([("u", {"a": f"路 {SEQUENCE_MARKER}"})], "m", ["u"], 1, 10)
    assert SEQUENCE_MARKER in pool[0].body


def _row(
    scenario: str, path: str, connections: int, p50: float, p99: float, rps: float, errors: int = 0
) -> Row:
    seconds = 10.0
    return Row(
        scenario, path, connections, WrkResult(round(rps * seconds), seconds, p50, p99, non_2xx=errors)
    )


def _by_name(checks: list[TargetCheck]) -> dict[str, TargetCheck]:
    return {c.name.split(",")[0]: c for c in checks}


def test_targets_met() -> None:
    rows = [
        _row("jurisdictions", "direct", 1, 3.0, 6.0, 300),
        _row("jurisdictions", "gateway", 1, 3.6, 7.0, 260),
        _row("jurisdictions", "direct", 10, 10.0, 30.0, 900),
        _row("jurisdictions", "gateway", 10, 12.0, 49.9, 600),
        _row("enterprises-jurisdiction", "gateway", 10, 20.0, 99.0, 400),
    ]
    checks = check_targets(rows, gateway_peak_rss_mb=99.0)
    assert [c.met for c in checks] == [True, True, True, True, True]
    assert "1.20×" in checks[0].figure


def test_targets_missed_at_each_edge() -> None:
    rows = [
        _row("jurisdictions", "direct", 1, 3.0, 6.0, 300),
        _row("jurisdictions", "gateway", 1, 3.7, 7.0, 260),  # 1.23×
        _row("jurisdictions", "gateway", 10, 12.0, 50.0, 900),  # p99 not under 50
        _row("enterprises-jurisdiction", "gateway", 10, 20.0, 40.0, 399),  # too few req/s
    ]
    checks = _by_name(check_targets(rows, gateway_peak_rss_mb=100.0))
    assert checks["gateway p50 / direct p50"].met is False
    assert checks["single-subgraph list of 20 via gateway"].met is False
    assert checks["two-subgraph list of 20 via gateway"].met is False
    assert checks["gateway RSS under load (peak"].met is False
    assert checks["errors (non-2xx + GraphQL errors + socket)"].met is True


def test_errors_fail_a_throughput_target_and_the_error_check() -> None:
    rows = [_row("jurisdictions", "gateway", 10, 5.0, 20.0, 2000, errors=3)]
    checks = _by_name(check_targets(rows, None))
    assert checks["single-subgraph list of 20 via gateway"].met is False
    assert checks["errors (non-2xx + GraphQL errors + socket)"].met is False
    assert checks["errors (non-2xx + GraphQL errors + socket)"].figure == "3"


def test_unmeasured_targets_are_not_claimed() -> None:
    checks = check_targets([], None)
    assert all(c.met is None for c in checks)
    assert all("n/a" in c.line() for c in checks)


def test_the_ratio_uses_the_same_connection_count_on_both_paths() -> None:
    rows = [
        _row("jurisdictions", "direct", 10, 10.0, 30.0, 900),
        _row("jurisdictions", "gateway", 10, 11.0, 30.0, 850),
        _row("jurisdictions", "gateway", 1, 1.0, 2.0, 900),
    ]
    check = check_targets(rows, None)[0]
    assert check.met is True and "10 conn" in check.name and "1.10×" in check.figure


PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:5DC0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 0
   1: 0100007F:5DC0 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 20 0
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0 20 0
"""


def test_listening_sockets_are_found_by_port() -> None:
    assert listening_inodes(PROC_NET_TCP, 24000) == {4242}  # 0x5DC0; the established one is ignored
    assert listening_inodes(PROC_NET_TCP, 8080) == {4444}
    assert listening_inodes(PROC_NET_TCP, 1) == set()


def test_process_trees_and_status_figures() -> None:
    parents = {10: 1, 11: 10, 12: 11, 20: 1, 21: 20, 30: 1}
    assert roots({10, 11}, parents) == {10}  # a pre-fork master and its worker: the master
    assert tree({10}, parents) == {10, 11, 12}
    assert tree({20, 30}, parents) == {20, 21, 30}
    assert status_kb("Name:\tpostgres\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n", "VmRSS") == 1024
    assert status_kb("Rss: 10 kB\nPss:  512 kB\n", "Pss") == 512
    assert status_kb("", "VmRSS") == 0


def test_machine_busy_time_leaves_out_idle_and_iowait() -> None:
    hz = os.sysconf("SC_CLK_TCK")
    stat = f"cpu  {3 * hz} 0 {hz} {50 * hz} {4 * hz} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
    assert machine_busy_seconds(stat) == pytest.approx(4.0)  # user 3 + system 1
