"""Registry service: the agency database (服务机构数据库), staff and permits, contracts and filings."""
