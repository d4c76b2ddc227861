"""Archive area: imports."""
