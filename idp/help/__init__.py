"""常见问题 and 新手指导: the help pages' entries, read from data files (``data/faq.yaml``,
``data/guide.yaml``) and checked when the portal starts, and the search over them.

Layer: domain (no FastAPI, no templates; the pages are idp/web/help.py).
"""
