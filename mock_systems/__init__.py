"""The business systems (业务系统) that log in through the portal: five small FastAPI services.

Each is its own process with its own port and database and talks to the portal over HTTP only,
as a real business system does; they never import the portal's code (``idp``). What they share
is in :mod:`mock_systems.common`; each system's module holds only its profile. The catalogue's
other systems run as generic stand-ins (:mod:`mock_systems.standins`). See README.md.
"""
SYSTEMS = ("udi", "classification", "combination", "drug", "pharmacist")  # the modules, in port order
