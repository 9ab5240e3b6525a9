"""Rate limits: every limit by name and its budget (rates.py), their counters in a time window,
in the database (counters.py) or Redis (backends.py), shared by every instance.

Layer: domain (no FastAPI, no templates); used by the flows and the pages above it.
"""
