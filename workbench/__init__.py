"""Persona Workbench: compose simulated-patient personas, run them, judge the transcripts."""

__version__ = "0.1.0"
