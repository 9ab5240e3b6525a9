"""Server-side login sessions behind an opaque cookie (an agent's carries its agency).

Layer: domain (no templates); the devices page is idp/web/space/devices.py in the web layer.
"""
