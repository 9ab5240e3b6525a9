"""The database: engine, base types, migrations runner, atomic operations.

Layer: domain (the foundation every layer uses).
"""
