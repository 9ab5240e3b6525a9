"""Code that the portal and the business systems both import: validators, messages, contracts."""
