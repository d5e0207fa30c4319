"""Helpers of the tests that run the app as real servers (gunicorn) against real services."""

import http.cookiejar
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import closing

import pytest


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process, logs: Callable[[], str], limit: float = 60) -> None:
    """Until ``url`` answers; fails with the server's log if it exits or takes over ``limit`` s."""
    deadline = time.monotonic() + limit
    while True:
        try:
            urllib.request.urlopen(f"{url}/robots.txt", timeout=5)
            return
        except OSError:  # refused, reset or slow to answer while it starts
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start at {url}:\n{logs()[-3000:]}")
            time.sleep(0.2)


def empty_redis(url: str):
    """A client of the Redis database at ``url``, emptied; a missing Redis fails the test."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # a missing service is a failure, not a skip
        pytest.fail(f"Redis is needed at {url} (.ci/run starts it): {exc}")
    client.flushdb()
    return client


class Browser:
    """One person's cookies, used against any server."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, url: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(url, body, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def csrf_token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to look at, not to follow
