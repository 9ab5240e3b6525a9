"""/staff: the console's home page, for every signed-in member: who is signed in, with which
roles, and the entries of those roles."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp.web.staff import STAFF
from idp.web.staff.kit import StaffSignedIn, render_staff_page

router = APIRouter()


@router.get(STAFF)
async def home(request: Request, member: StaffSignedIn) -> Response:
    return render_staff_page(request, "staff/home.html", member)
