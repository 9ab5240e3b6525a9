"""The benchmark's scenarios. Each prepares what its operation needs (logged-in browsers, codes,
tokens) outside the timed run and returns the operation one worker repeats."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import aiohttp

from bench.driver.browser import (
    Target,
    authorization_code,
    exchange_code,
    follow,
    submit_login,
    token_request,
    userinfo,
)
from bench.driver.load import Exhausted, Operation, OperationFailed


@dataclass
class Context:
    target: Target
    http: aiohttp.ClientSession  # the relying party's back channel: keep-alive, no cookies
    connector: aiohttp.TCPConnector
    concurrency: int
    code_pool: int  # authorization codes made before the code-exchange run


def browser(context: Context) -> aiohttp.ClientSession:
    """A fresh browser (its own cookie jar) on the shared keep-alive connections."""
    return aiohttp.ClientSession(connector=context.connector, connector_owner=False,
                                 cookie_jar=aiohttp.CookieJar(unsafe=True))  # unsafe: cookies for 127.0.0.1


async def logged_in_browsers(context: Context) -> list[aiohttp.ClientSession]:
    """One browser per worker, each logged in as its worker's account (by one authorization)."""
    browsers = [browser(context) for _ in range(context.concurrency)]
    await asyncio.gather(*(authorization_code(b, context.target, i) for i, b in enumerate(browsers)))
    return browsers


async def tokens_per_worker(context: Context) -> list[dict]:
    browsers = await logged_in_browsers(context)
    try:
        codes = [await authorization_code(b, context.target, i) for i, b in enumerate(browsers)]
        return [await exchange_code(context.http, context.target, *code) for code in codes]
    finally:
        for b in browsers:
            await b.close()


async def client_credentials(context: Context) -> Operation:
    async def operation(worker: int) -> None:
        await token_request(context.http, context.target, {"grant_type": "client_credentials"})
    return operation


async def code_exchange(context: Context) -> Operation:
    browsers = await logged_in_browsers(context)
    codes: list[tuple[str, str]] = []

    async def make_codes(index: int) -> None:
        while len(codes) < context.code_pool:
            codes.append(await authorization_code(browsers[index], context.target, index))
    try:
        await asyncio.gather(*(make_codes(i) for i in range(len(browsers))))
    finally:
        for b in browsers:
            await b.close()

    async def operation(worker: int) -> None:
        if not codes:
            raise Exhausted("the pool of authorization codes is used up")
        await exchange_code(context.http, context.target, *codes.pop())
    return operation


async def refresh_rotation(context: Context) -> Operation:
    refresh_tokens = [t["refresh_token"] for t in await tokens_per_worker(context)]

    async def operation(worker: int) -> None:
        body = await token_request(context.http, context.target,
                                   {"grant_type": "refresh_token", "refresh_token": refresh_tokens[worker]})
        if body.get("refresh_token") in (None, refresh_tokens[worker]):
            raise OperationFailed("the refresh token was not rotated")
        refresh_tokens[worker] = body["refresh_token"]
    return operation


async def userinfo_call(context: Context) -> Operation:
    access_tokens = [t["access_token"] for t in await tokens_per_worker(context)]

    async def operation(worker: int) -> None:
        await userinfo(context.http, context.target, access_tokens[worker])
    return operation


async def introspection(context: Context) -> Operation:
    access_tokens = [t["access_token"] for t in await tokens_per_worker(context)]
    target = context.target

    async def operation(worker: int) -> None:
        async with context.http.post(target.endpoints["introspection_endpoint"],
                                     data={"token": access_tokens[worker]},
                                     headers={"Authorization": target.basic_auth}) as response:
            body = await response.json(content_type=None)
            if response.status != 200 or body.get("active") is not True:
                raise OperationFailed(f"introspection {response.status}: {str(body)[:200]}")
    return operation


async def discovery_jwks(context: Context) -> Operation:
    target = context.target

    async def operation(worker: int) -> None:
        for url in (f"{target.base_url}/.well-known/openid-configuration", target.endpoints["jwks_uri"]):
            async with context.http.get(url) as response:
                body = await response.json(content_type=None)
                if response.status != 200 or not body:
                    raise OperationFailed(f"{url} answered {response.status}")
    return operation


async def full_flow(context: Context) -> Operation:
    async def operation(worker: int) -> None:
        async with contextlib.AsyncExitStack() as stack:
            user_agent = await stack.enter_async_context(browser(context))
            code = await authorization_code(user_agent, context.target, worker)
            tokens = await exchange_code(context.http, context.target, *code)
            await userinfo(context.http, context.target, tokens["access_token"])
    return operation


async def password_login(context: Context) -> Operation:
    async def operation(worker: int) -> None:
        async with browser(context) as user_agent:
            page = await follow(user_agent, context.target, context.target.login_start)
            await submit_login(user_agent, context.target, page, worker)
    return operation


SCENARIOS = {
    "client_credentials": client_credentials,
    "code_exchange": code_exchange,
    "refresh_rotation": refresh_rotation,
    "userinfo": userinfo_call,
    "introspection": introspection,
    "discovery_jwks": discovery_jwks,
    "full_flow": full_flow,
    "password_login": password_login,
}
