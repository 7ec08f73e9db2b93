"""The one ``requests.Session`` that msal and the Graph client share, with urllib3's ``Retry`` on its adapter.

- 429, 503 and 504 are retried by urllib3 for GET, POST, PATCH and DELETE (the token request is safe to repeat):
  it waits the ``Retry-After`` seconds the server asks for, up to ``RETRY_AFTER_MAX`` (SharePoint asks for up
  to 300 s; the scheduled sync runs hourly, so a longer wait would only collide with the next run), else an
  exponential back-off with jitter. A connection dropped before the response is retried the same way.
- Except a write to an Excel workbook (``POST …/workbook/…``: ``rows/add`` above all): after a 504 or a
  connection lost once the request was sent, the rows may already be in the table, so urllib3 hands the
  outcome back instead of repeating it, and ``toolkit.workbook.cloud`` re-reads the table before it decides.
  429 and 503 mean the service did nothing: those are still retried here.
- Certificates are checked against the operating system's trust store (``truststore``: the Windows certificate
  store, macOS Keychain, OpenSSL's system paths), so a firm whose proxy inspects TLS with a CA its PCs trust needs
  no setting; ``TOOLKIT_CA_BUNDLE`` adds certificates to that store, it does not replace it (hosts the proxy
  does not inspect keep working).
- Proxies: ``TOOLKIT_PROXY`` when set, else the system's (``urllib.request.getproxies``: the proxy variables,
  and on Windows the Internet Options proxy from the registry), with its bypass list; loopback is never proxied.
  ``trust_env = False``, so requests never lets ``REQUESTS_CA_BUNDLE`` or ``.netrc`` change what is set here.
- Every request carries ``User-Agent: NONISV|<受託者>|toolkit/<version>``, the form Microsoft asks of apps that
  call Graph, so the tenant's admin and Microsoft can tell this app's traffic (and its throttling) apart.

The waits go through ``Retry.sleeper`` so tests can record them instead of sleeping (``make_session(sleep=...)``).
"""
from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit
from urllib.request import getproxies

import requests
from requests.adapters import HTTPAdapter
from requests.utils import should_bypass_proxies
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


def user_agent(contractor: str | None = None) -> str:
    """``NONISV|<company>|toolkit/<version>`` (Microsoft's form for a non-ISV app), ASCII as a header must be."""
    from toolkit import __version__

    company = quote((contractor or "").replace("|", " ").strip(), safe=" ()&.,-") or "unknown"
    return f"NONISV|{company}|toolkit/{__version__}"


def tls_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The OS trust store, with ``ca_bundle``'s certificates added to it."""
    import truststore

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def system_proxies() -> dict[str, str]:
    """The system's proxies (environment variables; the registry on Windows; System Configuration on macOS)."""
    found = getproxies()
    proxies = {scheme: found[scheme] for scheme in ("https", "http") if found.get(scheme)}
    if found.get("no"):
        proxies["no_proxy"] = found["no"]
    return proxies


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class _TrustStoreAdapter(HTTPAdapter):
    """An adapter whose connections (direct or through a proxy) verify with one ``ssl.SSLContext``."""

    def __init__(self, context: ssl.SSLContext, **kwargs):
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        super().init_poolmanager(connections, maxsize, block, ssl_context=self._context, **pool_kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        return super().proxy_manager_for(proxy, ssl_context=self._context, **proxy_kwargs)


class _Session(requests.Session):
    """A session that honours its proxies' bypass list (requests reads it only from the environment)."""

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        host = (urlsplit(url).hostname or "").lower()
        bypass = self.proxies.get("no_proxy")
        if settings["proxies"] and (host in _LOOPBACK or should_bypass_proxies(url, no_proxy=bypass)):
            settings["proxies"] = {}
        return settings


def make_session(*, ca_bundle: str | None = None, proxy: str | None = None, tries: int = DEFAULT_TRIES,
                 sleep: Callable[[float], None] | None = None, agent: str | None = None) -> requests.Session:
    session = _Session()
    session.trust_env = False  # no REQUESTS_CA_BUNDLE / .netrc surprises: everything is explicit
    session.verify = True  # against tls_context: the OS store plus TOOLKIT_CA_BUNDLE
    session.proxies = {"https": proxy, "http": proxy} if proxy else system_proxies()
    session.headers["User-Agent"] = agent or user_agent()
    adapter = _TrustStoreAdapter(tls_context(ca_bundle), pool_connections=4, pool_maxsize=8,
                                 max_retries=make_retry(tries, sleep))
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
