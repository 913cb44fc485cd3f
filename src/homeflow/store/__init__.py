"""Plumbing: the database engine, the event log, projections and migrations."""
