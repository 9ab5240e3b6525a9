"""政务服务门户: the portal, an OpenID Connect provider."""
