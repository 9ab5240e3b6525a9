"""我的消息: notes the portal keeps for an account (security notices now, more kinds later)."""
