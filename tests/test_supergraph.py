"""The committed supergraph must be what composing the current subgraphs gives.

The subgraphs' SDL is not committed: it is exported here (and by ``make supergraph``) and composed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ecosteward import SERVICES
from ecosteward.config import REPO_ROOT

GATEWAY = REPO_ROOT / "gateway"


def test_committed_supergraph_is_up_to_date(tmp_path: Path) -> None:
    subgraphs = tmp_path / "subgraphs"
    exported = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "python"),
            "-m",
            "ecosteward.cli",
            "export-sdl",
            "--out",
            str(subgraphs),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    assert sorted(path.name for path in subgraphs.iterdir()) == sorted(f"{s}.graphql" for s in SERVICES)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    env["SUBGRAPHS_DIR"] = str(subgraphs)
    out = tmp_path / "supergraph.graphql"
    composed = subprocess.run(
        [str(GATEWAY / "node_modules" / ".bin" / "mesh-compose"), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=GATEWAY,
        env=env,
        check=False,
    )
    assert composed.returncode == 0, composed.stdout + composed.stderr
    assert out.read_text(encoding="utf-8") == (GATEWAY / "supergraph.graphql").read_text(encoding="utf-8"), (
        "gateway/supergraph.graphql is stale: run `make supergraph` and commit"
    )
