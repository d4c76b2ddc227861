"""outbox seq unique (a sequence on PostgreSQL), inbox pruning index: the platform's step in ecosteward.migrations"""

from ecosteward.migrations import downgrade_outbox_sequence as downgrade
from ecosteward.migrations import upgrade_outbox_sequence as upgrade

revision, down_revision, branch_labels, depends_on = "0002", "0001", None, None
__all__ = ["downgrade", "upgrade"]
