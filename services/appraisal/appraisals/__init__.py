"""Performance appraisals (绩效考核) of service contracts, 100 points per period (seed 004 table G.1)."""
