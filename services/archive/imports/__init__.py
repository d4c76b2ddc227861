"""Archive area: imports — bulk import of pollution sources from XLSX/CSV (批量导入污染源).

``domain`` (pure row model and validation), ``service.import_sources`` (read, validate all rows,
write all or none with outbox events), ``cli`` (``ecosteward import-sources FILE``), ``samples``
(generated source lists and a blank template for tests and benchmarks).
"""
