"""Download tables (filled in by the downloads area)."""
