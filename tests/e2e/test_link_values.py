"""A link's values are text (ui.common.text.plain): Markdown and HTML in ?model=, ?data= and /traverse?start= render
no anchor and no image, and the page asks no other host for anything, with every request to a host other than the
app's routed to a recorder (and refused)."""
from __future__ import annotations

from urllib.parse import urlencode, urlparse

import pytest

from tests.e2e.conftest import open_page

pytestmark = pytest.mark.e2e

ELSEWHERE = "127.0.0.1:9999"  # another host (a port is part of it): where an attacker's link would lead
PAYLOADS = [
    f"[Your session expired - log in again](http://{ELSEWHERE}/login)",
    f"![x](http://{ELSEWHERE}/md.png)",
    f"<img src=http://{ELSEWHERE}/html.png>",
    f"http://{ELSEWHERE}/bare www.elsewhere.example a@elsewhere.example",
]
LINKS = [("", "model", "is not available here"), ("", "data", "is not available here"),
         ("traverse", "start", "The link's start=")]


@pytest.fixture
def recorder(page, app_server):
    """Every request the page makes to a host other than the app's: recorded, then refused."""
    app_host, recorded = urlparse(app_server).netloc, []

    def route(route):
        if urlparse(route.request.url).netloc == app_host:
            route.continue_()
        else:
            recorded.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return recorded


@pytest.mark.parametrize("payload", PAYLOADS, ids=["markdown link", "markdown image", "html image", "bare addresses"])
@pytest.mark.parametrize("path, param, said", LINKS, ids=[f"{path or 'home'}?{param}" for path, param, _ in LINKS])
def test_a_links_value_is_shown_as_text(page, app_server, recorder, path, param, said, payload):
    query = urlencode({"data": "mnist-5k", "model": "pretrained/ae", param: payload})
    open_page(page, app_server, path, query)
    warning = page.locator('[data-testid="stAlert"]', has_text=said).first
    warning.wait_for(timeout=60_000)
    shown = warning.inner_text().replace("\u2060", "")  # (the word joiners that keep addresses from being links)
    assert payload[:30] in shown  # the characters themselves, not what Markdown would make of them
    hosts = page.eval_on_selector_all("a[href], img[src]", "els => els.map(e => new URL(e.href || e.src).host)")
    assert ELSEWHERE not in hosts and not any(host.endswith("elsewhere.example") for host in hosts), hosts
    assert warning.locator("a, img").count() == 0
    page.wait_for_timeout(500)  # an image the page asked for would have been requested by now
    assert recorder == []
