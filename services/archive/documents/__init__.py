"""Archive area: documents."""
