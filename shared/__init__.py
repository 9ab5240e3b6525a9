"""Code that the portal and the business systems both import: validators, messages, contracts.

Layer: below the portal and the systems alike; imports neither idp nor mock_systems.
"""
