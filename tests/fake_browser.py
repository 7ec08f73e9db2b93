"""A stand-in for a person's web browser in the sign-in tests (``BROWSER="python fake_browser.py %s"``).

Python's ``webbrowser`` runs the BROWSER command and waits for it; a real browser launcher returns at once and the
browser goes on by itself. So does this: it starts itself again detached and exits 0. The detached copy does what
the browser does once the person has signed in at the identity provider: it opens the authorize URL and follows
the redirects until the app's loopback address has received the code (RFC 8252, section 7.3).
"""
from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


class _Form(HTMLParser):
    """The first form of a page: its action and hidden fields (an auto-submitting form_post page)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def _follow(url: str) -> None:
    import requests

    ca = os.environ.get("FAKE_BROWSER_CA") or True
    method, data = "GET", None
    for _ in range(6):
        secure = urlsplit(url).scheme == "https"
        response = requests.request(method, url, data=data, verify=ca if secure else True, allow_redirects=False,
                                    timeout=30)
        location = response.headers.get("Location")
        if response.status_code in (301, 302, 303, 307, 308) and location:
            url, method, data = urljoin(url, location), "GET", None
            continue
        form = _Form()
        form.feed(response.text)
        if form.action is None:
            return  # the app's "you may close this window" page
        url, method, data = urljoin(url, form.action), "POST", form.fields


def main(argv: list[str]) -> int:
    url = argv[1]
    if os.environ.get("FAKE_BROWSER_DETACHED") != "1":
        subprocess.Popen([sys.executable, __file__, url], env={**os.environ, "FAKE_BROWSER_DETACHED": "1"},
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
        return 0
    _follow(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
