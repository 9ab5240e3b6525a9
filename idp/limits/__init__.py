"""Counting events per scope in a time window, in the database (shared by every instance).

Layer: domain (no FastAPI, no templates); used by the flows and the pages above it.
"""
