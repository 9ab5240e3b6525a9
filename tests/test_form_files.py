"""A form field sent as a file upload (multipart/form-data) where the protocol expects text is
bad input, not a crash: the endpoints answer as for any other malformed request (4xx or the
page they show for it), never a 500. Found by the type checker (Starlette's form values are
``str | UploadFile``)."""
import pytest

FILE = ("x.txt", b"not a string", "text/plain")


@pytest.mark.parametrize("path, field", [
    ("/authorize", "client_id"),
    ("/logout", "id_token_hint"),
    ("/userinfo", "access_token"),
    ("/consent", "csrf_token"),
])
async def test_a_file_in_place_of_a_text_field_is_refused_not_a_crash(put, path, field):
    async with put.http() as http:
        response = await http.post(path, files={field: FILE}, data={"interaction": "x"})
    assert response.status_code < 500, response.text


async def test_a_multipart_body_claiming_urlencoded_in_its_boundary_carries_no_access_token(put):
    """userinfo reads a body token only from a urlencoded body; a multipart body whose
    content-type merely mentions it is no token at all (RFC 6750 §2.2)."""
    body = (b"--application/x-www-form-urlencoded\r\n"
            b'Content-Disposition: form-data; name="access_token"; filename="t.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nabc\r\n--application/x-www-form-urlencoded--\r\n")
    async with put.http() as http:
        response = await http.post("/userinfo", content=body, headers={
            "content-type": 'multipart/form-data; boundary="application/x-www-form-urlencoded"'})
    assert response.status_code == 401
    assert 'error=' not in response.headers["www-authenticate"]
