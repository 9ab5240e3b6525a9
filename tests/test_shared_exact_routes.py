"""Which routes the exact-path table answers: a plain route of a fixed path, each method to the
first route of that path that takes it, and nothing another route registered before could match."""
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from shared.exact_routes import exact_table


def endpoint(name: str):
    async def answer(request):
        return PlainTextResponse(name)
    answer.__name__ = name
    return answer


def test_the_get_and_post_of_one_page_are_both_in_the_table():
    page, submit = endpoint("page"), endpoint("submit")
    table = exact_table([Route("/login", page, methods=["GET"]), Route("/login", submit, methods=["POST"])])
    assert table["/login"] == {"GET": page, "HEAD": page, "POST": submit}


def test_the_first_route_taking_a_method_keeps_it():
    first, second = endpoint("first"), endpoint("second")
    table = exact_table([Route("/a", first, methods=["GET", "POST"]), Route("/a", second, methods=["POST", "PUT"])])
    assert table["/a"] == {"GET": first, "HEAD": first, "POST": first, "PUT": second}


def test_a_path_an_earlier_route_with_parameters_matches_stays_with_the_router():
    anything, fixed = endpoint("anything"), endpoint("fixed")
    table = exact_table([Route("/{name}", anything, methods=["GET"]), Route("/login", fixed, methods=["GET"]),
                         Route("/login", fixed, methods=["POST"])])
    assert "/login" not in table
