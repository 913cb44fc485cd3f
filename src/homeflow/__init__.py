"""homeflow: patient flow and discharge for whole health and care systems."""

__version__ = "0.1.0"
