"""Agencies (服务机构): the agency database, the admission workflow and credit blacklist listings."""
