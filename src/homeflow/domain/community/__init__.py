"""Leaving community and mental-health services well: caseloads, recovery plans, carers, peer reviews, discharge decisions, consent and the directory of trusted services."""
