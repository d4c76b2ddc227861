"""The gateway's edge: the Hive Router coprocessor that gives the router's own refusals our error shape."""
