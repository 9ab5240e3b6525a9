"""咨询 (consultations): questions users file with the portal's help desk, the deadline of two
working days, the help desk's answer, close and reassign, and the reads of the queue, of an
account's questions (我的互动 → 在线办事反馈) and of the lookup without login.

Layer: domain (no FastAPI, no templates); the pages are idp/web/consultations/ in the web layer.
"""
