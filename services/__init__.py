"""The five EcoSteward subgraph services."""
