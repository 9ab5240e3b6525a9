"""Graphic captchas (图形验证码) for the portal's forms.

Layer: domain (models, providers, store: issue and consume); the image endpoint (routes.py) is web.
"""
