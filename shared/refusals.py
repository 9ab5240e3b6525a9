"""The one refusal type: a rule said no, and the user is told why in the catalogue's words.

A :class:`Refusal` carries a message id of :mod:`shared.messages`, the values its text needs, the
HTTP status of the page that shows it, and an ASCII ``detail`` for operators (never shown as the
message). The domain raises it; a form shows ``text()`` on the same form, and an uncaught one is
rendered as an error page by the portal's and the systems' handlers. It lives in ``shared`` so the
business systems, which never import the portal, raise the same type.

Not a refusal: the OAuth protocol's own errors (``idp.errors.OAuthError``, RFC 6749 §4.1.2.1 and
§5.2), whose error codes and ASCII descriptions are for the client, not for the user; and the
binding contract's ``shared.binding.Refusal`` message, which a system posts to the portal.
"""
from __future__ import annotations

from shared.messages import text


class Refusal(Exception):
    """``Refusal(message_id, status_code=400, detail="", **values)``; subclasses may only fix the
    default status (a 404 page, a 409 conflict)."""

    status_code = 400

    def __init__(self, message_id: str, *, status_code: int | None = None, detail: str = "", **values):
        super().__init__(message_id)
        self.message_id = message_id
        self.values = values
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code

    def text(self) -> str:
        """The user's message, in the catalogue's words."""
        return text(self.message_id, **self.values)
