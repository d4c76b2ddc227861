"""Archive area: downloads."""
