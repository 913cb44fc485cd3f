"""Adapters between homeflow's events and the formats feeds speak (HL7 v2, FHIR, CSV)."""
