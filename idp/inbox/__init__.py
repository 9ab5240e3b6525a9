"""我的消息: notes the portal keeps for an account (security notices now, more kinds later).

Layer: domain (no FastAPI, no templates); the page is idp/web/space/messages.py in the web layer.
"""
