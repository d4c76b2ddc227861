"""Staff files (人员档案) of the agencies: joining, leaving, education and evaluation records."""
