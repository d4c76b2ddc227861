"""Quarterly and annual work reports (季度/年度工作报告) of the jurisdictions to the bureau."""
