"""Archive area: classification."""
