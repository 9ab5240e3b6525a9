"""The benchmark's load driver: the same asyncio HTTP client drives the portal and the peer."""
