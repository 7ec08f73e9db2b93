"""The one ``requests.Session`` that msal and the Graph client share, with urllib3's ``Retry`` on its adapter.

- 429, 503 and 504 are retried by urllib3 for GET, POST, PATCH and DELETE (the token request is safe to repeat):
  it waits the ``Retry-After`` seconds the server asks for, up to ``RETRY_AFTER_MAX`` (SharePoint asks for up
  to 300 s; the scheduled sync runs hourly, so a longer wait would only collide with the next run), else an
  exponential back-off with jitter. A connection dropped before the response is retried the same way.
- Except a write to an Excel workbook (``POST …/workbook/…``: ``rows/add`` above all): after a 504 or a
  connection lost once the request was sent, the rows may already be in the table, so urllib3 hands the
  outcome back instead of repeating it, and ``toolkit.workbook.cloud`` re-reads the table before it decides.
  429 and 503 mean the service did nothing: those are still retried here.
- ``trust_env = False`` and ``verify`` set explicitly: requests would otherwise let ``REQUESTS_CA_BUNDLE`` (or
  a proxy variable) override what ``TOOLKIT_CA_BUNDLE`` / ``TOOLKIT_PROXY`` say.

The waits go through ``Retry.sleeper`` so tests can record them instead of sleeping (``make_session(sleep=...)``).
"""
from __future__ import annotations

import time
from collections.abc import Callable

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

RETRY_STATUSES = frozenset({429, 503, 504})
UNSURE_STATUS = 504  # the gateway gave up waiting: the request may or may not have been carried out
RETRY_AFTER_MAX = 300  # seconds: the longest Retry-After honoured as asked (longer ones are cut to this)
DEFAULT_TRIES = 5  # attempts per request, the first included
BACKOFF = 1.0  # seconds, doubled per failed attempt when the server gives no Retry-After
BACKOFF_MAX = 60.0
JITTER = 1.0  # up to this many seconds added to each back-off, so parallel clients do not retry in step
DEFAULT_TIMEOUT = (10.0, 120.0)  # (connect, read) seconds


class GraphRetry(Retry):
    """urllib3's Retry whose waits go through ``sleeper`` (``time.sleep`` unless a test swaps it)."""

    sleeper: Callable[[float], None] = staticmethod(time.sleep)

    def sleep_for_retry(self, response) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            type(self).sleeper(retry_after)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            type(self).sleeper(backoff)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if is_workbook_write(method, url):
            if error is not None and self._is_read_error(error):
                raise error.with_traceback(_stacktrace)  # sent, no answer: the caller finds out what happened
            if response is not None and response.status == UNSURE_STATUS:
                # Ends the retries; with raise_on_status=False urllib3 returns this 504 to the caller.
                raise MaxRetryError(_pool, url, ResponseError(f"{UNSURE_STATUS} on a workbook write"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def is_workbook_write(method: str | None, url: str | None) -> bool:
    """A POST to the Excel workbook API: not safe to repeat blindly (``rows/add`` would add the rows twice)."""
    return method == "POST" and url is not None and "/workbook/" in url


def tries_from_env(env) -> int:
    """``TOOLKIT_GRAPH_TRIES``: attempts per request (tests and slow links tune it)."""
    try:
        return max(1, int(env.get("TOOLKIT_GRAPH_TRIES") or DEFAULT_TRIES))
    except ValueError:
        return DEFAULT_TRIES


def make_retry(tries: int = DEFAULT_TRIES, sleep: Callable[[float], None] | None = None) -> Retry:
    cls = GraphRetry if sleep is None else type("GraphRetry", (GraphRetry,), {"sleeper": staticmethod(sleep)})
    retries = max(0, tries - 1)
    return cls(total=retries, connect=retries, read=retries, status=retries, redirect=0, other=0,
               allowed_methods=frozenset({"GET", "POST", "PATCH", "DELETE"}), status_forcelist=RETRY_STATUSES,
               backoff_factor=BACKOFF, backoff_max=BACKOFF_MAX, backoff_jitter=JITTER,
               retry_after_max=RETRY_AFTER_MAX, respect_retry_after_header=True,
               raise_on_status=False, raise_on_redirect=False)


def make_session(*, ca_bundle: str | None = None, proxy: str | None = None, tries: int = DEFAULT_TRIES,
                 sleep: Callable[[float], None] | None = None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no REQUESTS_CA_BUNDLE / proxy / .netrc surprises: everything is explicit
    session.verify = ca_bundle or True
    if proxy:
        session.proxies = {"https": proxy, "http": proxy}
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=make_retry(tries, sleep))
    session.mount("https://", adapter)
    session.mount("http://", adapter)  # a proxy URL; Graph and the authority are https-only (checked in auth)
    return session


class TimeoutHttp:
    """The session as msal's ``http_client``, with our timeouts (msal passes none of its own)."""

    def __init__(self, session: requests.Session, timeout=DEFAULT_TIMEOUT):
        self._session = session
        self._timeout = timeout

    def get(self, url, params=None, headers=None, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        return self._session.get(url, params=params, headers=headers, **kwargs)

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        return self._session.post(url, params=params, data=data, headers=headers, **kwargs)

    def close(self):  # the session belongs to the caller
        pass
