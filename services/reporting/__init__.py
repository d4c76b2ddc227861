"""Reporting service (报告): the towns' quarterly and annual reports on their environmental steward work."""
