"""公共服务: the public service catalogue of 事项 and the business system that handles each.

Layer: domain (data loaded from idp/catalogue/services.yaml; no FastAPI, no templates).
"""
