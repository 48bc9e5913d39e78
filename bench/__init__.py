"""Measurements printed as tables with a baseline beside them (never timed unit tests)."""
