"""Inspection service (巡查巡检): on-site visits, the problems they find, and the closed loop that follows."""
