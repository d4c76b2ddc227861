"""Enterprises (排污单位): registration, master data and operating status of the pollution sources."""
