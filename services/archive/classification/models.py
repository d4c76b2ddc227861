"""Classification tables (filled in by the classification area)."""
