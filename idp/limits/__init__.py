"""Counting events per scope in a time window, in the database (shared by every instance)."""
