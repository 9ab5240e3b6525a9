"""The OpenID provider, organised by specification."""
