"""Work permits (工作证) that managing departments issue to agency staff."""
