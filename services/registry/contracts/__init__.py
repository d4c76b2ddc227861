"""Service contracts (委托合同) and their filing (报备) with the district bureau."""
