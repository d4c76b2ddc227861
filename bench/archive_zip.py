"""The archive ZIP download: throughput and memory of the streamed ZIP against a plain read.

Puts ``BENCH_ZIP_FILES`` random files of ``BENCH_ZIP_FILE_MIB`` MiB (default 200 × 5 MiB ≈ 1 GiB) into
a local blob store in a temporary directory, then in a fresh child process (so its peak RSS is the
download's alone) reads every blob through the store (the plain read) and streams the whole ZIP —
cover sheet included — through the download's generator (our ``zipstream`` writer, documents stored
with the CRC-32 recorded at upload and checked again on the way out) into /dev/null, best of
``BENCH_ZIP_ROUNDS`` rounds each. Targets: ZIP throughput ≥ 50 % of the plain read; peak RSS < 150 MB.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

FILES = int(os.environ.get("BENCH_ZIP_FILES", "200"))
FILE_MIB = int(os.environ.get("BENCH_ZIP_FILE_MIB", "5"))
ROUNDS = int(os.environ.get("BENCH_ZIP_ROUNDS", "3"))
TARGET_RATIO = 0.5
TARGET_RSS_MB = 150.0
MiB = 1 << 20


def _peak_rss_mb() -> float:
    """VmHWM of this process (peak resident set), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _fill(data_dir: Path) -> list[dict[str, Any]]:
    from ecosteward.blobs import blob_store_from_env

    store = blob_store_from_env(data_dir)
    manifest = []
    for index in range(FILES):
        key = f"bench/{uuid.uuid4()}"

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(FILE_MIB):
                yield os.urandom(MiB)

        stored = await store.put(key, chunks(), max_bytes=FILE_MIB * MiB)
        item = ["1", "2-1", "3-1", "4-1", "6-4", "8-2", "9-10", "9-11"][index % 8]
        manifest.append(
            {
                "key": stored.key,
                "size": stored.size,
                "sha256": stored.sha256,
                "crc32": stored.crc32,
                "item": item,
                "n": index,
            }
        )
    return manifest


async def _plain_read(store: Any, manifest: list[dict[str, Any]], sink: int) -> int:
    total = 0
    for entry in manifest:
        async for chunk in store.open(entry["key"], MiB):
            total += os.write(sink, chunk)
    return total


async def _zip(store: Any, manifest: list[dict[str, Any]], sink: int) -> int:
    from services.archive.documents.catalogue import catalogue as e1_catalogue
    from services.archive.downloads import domain
    from services.archive.downloads.coversheet import CoverHeader, cover_sheet_xlsx
    from services.archive.downloads.streaming import ZipMember, bytes_member, stream_archive

    now = dt.datetime.now(dt.UTC)
    ids = [uuid.uuid5(uuid.NAMESPACE_URL, entry["key"]) for entry in manifest]
    e1 = e1_catalogue()
    catalogue = {item.code: item for item in e1}
    refs = [
        domain.FileRef(i, e["item"], f"scan-{e['n']:04d}.pdf", 1) for i, e in zip(ids, manifest, strict=True)
    ]
    paths = domain.zip_paths(refs, catalogue)
    facts = [
        domain.VersionFacts(i, e["item"], f"scan-{e['n']:04d}.pdf", 1, e["size"], e["sha256"])
        for i, e in zip(ids, manifest, strict=True)
    ]
    rows = domain.cover_rows(e1, facts, {}, paths)
    cover = cover_sheet_xlsx(CoverHeader("基准企业", "91310115MA1K4ABC10", now, "bench", "bench"), rows)

    def source(key: str) -> Any:
        return lambda: store.open(key, MiB)

    members = [bytes_member(domain.COVER_SHEET_NAME, cover, now)] + [
        ZipMember(paths[i], e["size"], now, source(e["key"]), crc32=e["crc32"])
        for i, e in zip(ids, manifest, strict=True)
    ]
    total = 0
    async for chunk in stream_archive(members):
        total += os.write(sink, chunk)
    return total


async def _child(data_dir: Path, manifest: list[dict[str, Any]]) -> dict[str, Any]:
    from ecosteward.blobs import blob_store_from_env

    store = blob_store_from_env(data_dir)
    # Import everything the download path needs before taking the baseline.
    import services.archive.downloads.coversheet
    import services.archive.downloads.streaming  # noqa: F401

    baseline = _peak_rss_mb()
    sink = os.open(os.devnull, os.O_WRONLY)
    best_plain = best_zip = float("inf")
    plain_bytes = zip_bytes = 0
    try:
        for _ in range(ROUNDS):
            began = time.perf_counter()
            plain_bytes = await _plain_read(store, manifest, sink)
            best_plain = min(best_plain, time.perf_counter() - began)
            began = time.perf_counter()
            zip_bytes = await _zip(store, manifest, sink)
            best_zip = min(best_zip, time.perf_counter() - began)
    finally:
        os.close(sink)
    from ecosteward.blobs import crc32

    return {
        # The upload computes the CRC-32 (the store's put); the ZIP writer checks it again with the same.
        "crc": "ISA-L (isal) at upload" if "isal" in (crc32.__module__ or "") else "zlib",
        "plain_bytes": plain_bytes,
        "zip_bytes": zip_bytes,
        "plain_seconds": best_plain,
        "zip_seconds": best_zip,
        "rss_baseline_mb": baseline,
        "rss_peak_mb": _peak_rss_mb(),
    }


def main() -> None:
    total_mib = FILES * FILE_MIB
    with tempfile.TemporaryDirectory(prefix="bench-archive-zip-") as scratch:
        data_dir = Path(scratch)
        env = {**os.environ, "ECOSTEWARD_DATA_DIR": str(data_dir)}
        for name in [n for n in env if n.startswith("ECOSTEWARD_BLOB")]:
            env.pop(name)  # always the local backend, in the scratch directory
        began = time.perf_counter()
        manifest = asyncio.run(_fill(data_dir))
        filled = time.perf_counter() - began
        manifest_path = data_dir / "manifest.json"
        manifest_path.write_text(json.dumps(manifest))
        child = subprocess.run(
            [sys.executable, "-m", "bench.archive_zip", "--child", str(data_dir), str(manifest_path)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(f"archive_zip: the measuring process failed:\n{child.stderr}")
            return
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    plain_mbs = figures["plain_bytes"] / MiB / figures["plain_seconds"]
    zip_mbs = figures["zip_bytes"] / MiB / figures["zip_seconds"]
    ratio = zip_mbs / plain_mbs
    peak = figures["rss_peak_mb"]
    print(
        f"archive_zip: {FILES} random files × {FILE_MIB} MiB = {total_mib} MiB in a local blob store "
        f"(written in {filled:.1f} s), best of {ROUNDS}"
    )
    print(f"  plain read via the store  {plain_mbs:8.0f} MiB/s")
    print(
        f"  streamed ZIP → /dev/null  {zip_mbs:8.0f} MiB/s   {ratio:6.1%} of plain "
        f"(target ≥ {TARGET_RATIO:.0%}: {'ok' if ratio >= TARGET_RATIO else 'SLOW'}); "
        f"ZIP {figures['zip_bytes'] / MiB:.1f} MiB, CRC-32 by {figures['crc']}"
    )
    print(
        f"  peak RSS                  {peak:8.1f} MB     (after imports {figures['rss_baseline_mb']:.1f} MB; "
        f"target < {TARGET_RSS_MB:.0f} MB: {'ok' if peak < TARGET_RSS_MB else 'HIGH'})"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        entries = json.loads(Path(sys.argv[3]).read_text())
        result = asyncio.run(_child(Path(sys.argv[2]), entries))
        print(json.dumps(result))
    else:
        main()
