"""Returns and measurement: statistical process control, KPIs and situation reports."""
