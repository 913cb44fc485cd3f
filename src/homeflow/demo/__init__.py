"""A realistic demo health and care system, simulated into events."""
