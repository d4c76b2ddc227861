"""Appraisal service (考核): performance appraisal of agencies per contract and period (pay-by-results)."""
