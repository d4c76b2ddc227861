"""The registry's working-day calendar (工作日历): its tables, the bureau's corrections and the cache."""
