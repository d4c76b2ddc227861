"""Periodic jobs of the classification area.

``reclassify`` re-evaluates the enterprises whose ``next_review_on`` has come (a fact aged out of its
three years) and those never evaluated; every other enterprise is untouched, so a run is cheap at
any scale. Interval: ``ECOSTEWARD_ARCHIVE_RECLASSIFY_SECONDS`` (default 3600).
"""

from __future__ import annotations

from ecosteward.config import ArchiveSettings
from ecosteward.runtime import PeriodicJob, ServiceRuntime
from services.archive.classification.service import reclassify_due

DEFAULT_INTERVAL_SECONDS = 3600.0


def interval_seconds() -> float:
    """The job's interval from ``ECOSTEWARD_ARCHIVE_RECLASSIFY_SECONDS`` (default one hour)."""
    return ArchiveSettings().reclassify_seconds


async def reclassify(runtime: ServiceRuntime) -> None:
    """Re-evaluate the enterprises due today (China time)."""
    await reclassify_due(runtime)


JOBS = [PeriodicJob("reclassify", interval_seconds(), reclassify)]
