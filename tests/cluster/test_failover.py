"""Several instances behind nginx, as deployed (docs/operations.md, "Deploying several instances"):
three portal processes on one PostgreSQL database, nginx terminating TLS in front of them with the
template `make cluster` renders, users each from an address of their own.

Forty users walk the code flow with PKCE (authorize → login → code → token → UserInfo) into one
relying party and then single sign-on into a second, spread over the instances by nginx, while
one instance is killed with SIGKILL mid-load and started again. A request in flight on the killed
process is lost — nginx answers 502 (a POST is never passed on), or passes a GET on to another
instance, which may find its interaction already used, or the answer is cut off mid-body — and
the user starts the login again, as a browser's reload would. What must hold: every such loss is
a request that was in flight on the killed instance (nginx's access log says which instances
served each request id, and when); every user gets through; no session is lost (the second
system's login asks for no password, and every session is valid on every instance); no code is
redeemed twice (two instances redeeming one code at once: one wins; every code replayed at every
instance: refused); every back-channel logout arrives; the restarted instance takes requests
again. (The lockout and the rate limit: tests/cluster/test_limits.py.)

PostgreSQL only: the production layout is PostgreSQL (SQLite is one process's database). nginx
missing is a failure, not a skip (CI installs nginx-light).
"""
from __future__ import annotations

import asyncio
import base64
import json
import time

from idp.testing import setup
from shared.load_balancer import FAIL_TIMEOUT_SECONDS
from tests.support.cluster import (
    SETTINGS,
    Client,
    Cluster,
    RetryableFailure,
    User,
    callback,
    register_client,
    running_cluster,
)
from tests.support.live import BackchannelReceiver

USERS = 40
ATTEMPTS = 4  # a user starts over at most this often (each start over is accounted for below)
KEEPALIVE_SLACK_SECONDS = 0.25
def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Journey:
    """One user's flows, each started over when a request is lost with an instance."""

    def __init__(self, user: User):
        self.user = user
        self.lost: list[tuple[str, str]] = []  # (request id, what) of each flow started over
        self.redeemed: list[tuple[str, str, str]] = []  # (client_id, code, verifier) answered 200 by /token
        self.id_tokens: dict[str, str] = {}
        self.logins: dict[str, int] = {}  # client_id → how often the password was asked for

    async def sign_in(self, client: Client) -> dict:
        for _ in range(ATTEMPTS):
            try:
                response, verifier = await self.user.authorize(client)
                self.logins[client.client_id] = self.logins.get(client.client_id, 0) + int(self.user.logged_in)
                code = callback(response)["code"]
                token = await self.user.redeem(client, code, verifier)
                assert token.status_code == 200, token.text
                self.redeemed.append((client.client_id, code, verifier))
                tokens = token.json()
                info = await self.user.request("GET", f"{self.user.cluster.issuer}/userinfo",
                                               headers={"Authorization": f"Bearer {tokens['access_token']}"})
                assert info.status_code == 200, info.text
                id_token = claims(tokens["id_token"])
                assert info.json()["sub"] == id_token["sub"] and id_token["aud"] == client.client_id
                self.id_tokens[client.client_id] = tokens["id_token"]
                return id_token
            except RetryableFailure as lost:  # nginx's 502: the instance died while serving it
                self.lost.append((lost.request_id, str(lost)))
            except AssertionError as failed:
                # Another answer than the flow's next step, e.g. 登录页面已过期 when nginx passed a GET
                # /authorize/resume the killed instance had already served to another instance (a
                # GET whose answer never came is retried: proxy_next_upstream). The user follows
                # the page's advice and starts over; accounted for like the 502s, by request id.
                self.lost.append((self.user.request_ids[-1], str(failed)[:300]))
        raise AssertionError(f"{self.user.username}: {ATTEMPTS} attempts lost: {self.lost}")


def assert_lost_only_in_flight_on(cluster: Cluster, journeys: list[Journey], killed_port: int,
                                  killed: tuple[float, float]):
    """Each flow started over failed at a request that was in flight on the killed instance when it
    died: nginx passed it there, before the kill, and it had not ended by then. (Its answer: nginx's
    502, another instance's page when nginx passed a GET on, or a 200 cut off mid-body.)"""
    log = cluster.access_log()
    for journey in journeys:
        for request_id, what in journey.lost:
            entry = log.get(request_id)
            assert entry is not None, f"{what}: not in nginx's log (lost between the user and nginx?)"
            assert f"127.0.0.1:{killed_port}" in [u.strip() for u in entry["upstream"].split(",")], (what, entry)
            started, ended = entry["msec"] - entry["request_time"], entry["msec"]
            # The slack: nginx may write a request onto a kept-alive connection the kernel closed
            # an instant before, ahead of noticing the close; it had nowhere else to go then.
            signalled, gone = killed
            assert started <= gone + KEEPALIVE_SLACK_SECONDS, (f"{what}: sent {started - gone:.3f} s after the kill",
                                                               entry)
            assert ended >= signalled - 0.005, (f"{what}: ended {signalled - ended:.3f} s before the kill", entry)


async def test_forty_users_over_three_instances_one_killed_and_restarted(database_url, receiver, tmp_path):
    portal_a = await register_client(database_url, "cluster-rp-a", receiver)
    portal_b = await register_client(database_url, "cluster-rp-b", receiver)
    for n in range(USERS):
        await setup.add_account(database_url, f"user{n:02d}")

    async with running_cluster(database_url, tmp_path, **SETTINGS) as cluster:
        users = [User(cluster, f"user{n:02d}", f"127.0.1.{n + 1}") for n in range(USERS)]
        journeys = [Journey(user) for user in users]
        first_done = asyncio.Semaphore(0)

        async def journey(j: Journey) -> None:
            await j.sign_in(portal_a)
            first_done.release()
            await j.sign_in(portal_b)

        tasks = [asyncio.create_task(journey(j)) for j in journeys]
        for _ in range(USERS // 4):  # a quarter of the first logins done: mid-load
            await first_done.acquire()
        killed = 1
        killed_port = cluster.instances[killed].port
        signalled, killed_at = cluster.kill(killed)
        still_running = sum(not t.done() for t in tasks)
        await cluster.restart(killed)
        restarted_at = time.time()
        await asyncio.gather(*tasks)

        assert still_running >= USERS // 2, "the kill came after most of the load; the test proves little"
        assert_lost_only_in_flight_on(cluster, journeys, killed_port, (signalled, killed_at))
        # No session lost: the second system's login never asked for the password.
        assert all(j.logins.get(portal_b.client_id, 0) == 0 for j in journeys), [j.logins for j in journeys]

        # nginx tries the killed instance again once fail_timeout has passed: the restarted one
        # takes its share of what follows through nginx (single sign-on again, no password).
        await asyncio.sleep(max(0.0, killed_at + FAIL_TIMEOUT_SECONDS + 1 - time.time()))
        again = await asyncio.gather(*(j.user.authorize(portal_a, prompt="none") for j in journeys))
        assert all("code" in callback(response) for response, _verifier in again)

        await sessions_valid_on_every_instance(cluster, journeys, portal_a)
        await one_code_redeemed_once(cluster, users[:5], portal_a)
        await every_backchannel_logout_arrives(cluster, journeys, portal_a, receiver)
        served = [e for e in cluster.access_log().values() if e["upstream"] == f"127.0.0.1:{killed_port}"]
        assert any(e["msec"] > restarted_at for e in served), "the restarted instance got no request back"
        await replayed_codes_refused_everywhere(cluster, journeys, portal_a, portal_b)
        for user in users:
            await user.aclose()
    print(f"requests lost with the killed instance and started over: {sum(len(j.lost) for j in journeys)}; "
          f"users still in their flows at the kill: {still_running}")


async def sessions_valid_on_every_instance(cluster: Cluster, journeys: list[Journey], client: Client) -> None:
    """prompt=none (OIDC Core §3.1.2.1) at each instance's own port: a code, never login_required."""
    for instance in cluster.instances:
        answers = await asyncio.gather(*(j.user.authorize(client, instance.url, prompt="none") for j in journeys))
        for journey, (response, _verifier) in zip(journeys, answers, strict=True):
            assert "code" in callback(response), (journey.user.username, instance.port, callback(response))


async def one_code_redeemed_once(cluster: Cluster, users: list[User], client: Client) -> None:
    """Two instances redeem one code at the same moment: one token response, one invalid_grant."""
    first, second = cluster.instances[0].url, cluster.instances[2].url
    for user in users:
        response, verifier = await user.authorize(client)
        code = callback(response)["code"]
        answers = await asyncio.gather(user.redeem(client, code, verifier, first),
                                       user.redeem(client, code, verifier, second))
        assert sorted(a.status_code for a in answers) == [200, 400], [a.text for a in answers]
        assert next(a for a in answers if a.status_code == 400).json()["error"] == "invalid_grant"


async def every_backchannel_logout_arrives(cluster: Cluster, journeys: list[Journey], client: Client,
                                           receiver: BackchannelReceiver) -> None:
    """RP-initiated logout through nginx (any instance): a logout token to each system the session
    reached (OIDC Back-Channel Logout §2.4-2.6), delivered now or by any instance's retries."""
    expected = set()
    for journey in journeys:
        for client_id, id_token in journey.id_tokens.items():
            expected.add((client_id, claims(id_token)["sid"]))

    async def log_out(journey: Journey) -> None:
        params = {"id_token_hint": journey.id_tokens[client.client_id],
                  "post_logout_redirect_uri": client.post_logout_redirect_uri, "state": "bye"}
        response = await journey.user.request("GET", f"{cluster.issuer}/logout", params=params)
        assert response.is_redirect and response.headers["location"].startswith(client.post_logout_redirect_uri)

    before = len(receiver.tokens)
    await asyncio.gather(*(log_out(j) for j in journeys))
    tokens = (await receiver.received(before + len(expected), timeout=20))[before:]
    arrived = {(claims(t)["aud"], claims(t)["sid"]) for t in tokens}
    assert expected <= arrived, f"{len(expected - arrived)} logouts never arrived"


async def replayed_codes_refused_everywhere(cluster: Cluster, journeys: list[Journey], *clients: Client) -> None:
    """A code already redeemed (through nginx, on whichever instance) is refused by every instance."""
    by_id = {c.client_id: c for c in clients}
    replays = [(j.user, by_id[client_id], code, verifier, instance.url) for j in journeys
               for client_id, code, verifier in j.redeemed for instance in cluster.instances]
    at_once = asyncio.Semaphore(20)  # a burst, not a flood: the pools are small (SETTINGS)

    async def replay(user: User, client: Client, code: str, verifier: str, url: str):
        async with at_once:
            return await user.redeem(client, code, verifier, url)

    answers = await asyncio.gather(*(replay(*r) for r in replays))
    assert {a.status_code for a in answers} == {400} and {a.json()["error"] for a in answers} == {"invalid_grant"}
