"""The enrolment QR code: the otpauth:// URI as an SVG image in a data: URI, which the pages'
CSP allows (img-src 'self' data:) where an inline <svg> with style attributes would not be."""
from __future__ import annotations

import base64

import qrcode  # type: ignore[import-untyped]  # no type information published
import qrcode.image.svg  # type: ignore[import-untyped]


def qr_data_uri(content: str) -> str:
    image = qrcode.make(content, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
