"""Authentication context classes (OIDC Core §2 acr) the portal issues.

A login with password and graphic captcha is level 1; later issues may add stronger ones.
"""
ACR_PASSWORD = "urn:zwfw:acr:password"
ACR_VALUES = (ACR_PASSWORD,)
AMR_PASSWORD = ["pwd"]
