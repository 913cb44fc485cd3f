"""Forecasting demand and delays (statsforecast)."""
