"""On-site visits (现场检查) and the findings (问题隐患) recorded on them."""
