"""access revocations (suspended agencies, disabled accounts, closed enterprises): the platform's step"""

from ecosteward.migrations import create_access_revocations as upgrade
from ecosteward.migrations import drop_access_revocations as downgrade

revision, down_revision, branch_labels, depends_on = "0003", "0001", None, None
__all__ = ["downgrade", "upgrade"]
