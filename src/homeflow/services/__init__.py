"""Use cases: the record joined with the rules, for the CLI, the web app, the analysts API and
the weekly report. Here, and only here, the store meets the reports and the capacity model."""
