"""Where an API's description is found: conventional spec paths, JSON or YAML, and the
spec URL a documentation page (Swagger UI, ReDoc) loads.

What comes back is data from the target: YAML is read with ``yaml.safe_load`` only (no
object construction), documents over ``MAX_SPEC_BYTES`` or ``MAX_NODES`` nodes are not
read, links are followed only on the target's own origin, and the whole search sends at
most ``MAX_SPEC_REQUESTS`` requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import yaml

from dynaguard.scan.http import ScanHTTP, origin_of
from dynaguard.scan.swagger2 import MAX_NODES, SpecTooLarge, is_swagger2, to_openapi3

__all__ = ["DOCS_PAGES", "MAX_SPEC_REQUESTS", "SPEC_PATHS", "fetch_spec", "read_spec",
           "spec_links"]

# Tried in this order; the first five are the ones most services use.
SPEC_PATHS = ("/openapi.json", "/docs/openapi.json", "/api/openapi.json", "/swagger.json",
              "/v3/api-docs", "/api/schema/", "/openapi.yaml", "/openapi.yml", "/swagger.yaml",
              "/api/openapi.yaml", "/v2/api-docs", "/api/swagger.json", "/api-docs",
              "/api/v1/openapi.json")
DOCS_PAGES = ("/docs", "/redoc", "/swagger-ui.html", "/swagger-ui/", "/api/docs",
              "/api/schema/swagger-ui/", "/api/schema/redoc/", "/")
MAX_SPEC_REQUESTS = 30
MAX_SPEC_BYTES = 10 * 1024 * 1024
MAX_LINKS_PER_PAGE = 4
ACCEPT = ("application/json, application/vnd.oai.openapi+json;q=0.9, "
          "application/yaml;q=0.8, text/html;q=0.7, */*;q=0.5")

# Swagger UI's `url:` / `configUrl:`, ReDoc's `spec-url=` and `Redoc.init('…')`,
# drf-spectacular's `schema_url`, and plain links to .json / .yaml files.
_CONFIG_URL = re.compile(
    r"""(?:\burl|spec-url|specUrl|schema_?[uU]rl|configUrl)["']?\s*[:=]\s*["'`]([^"'`\s<>]+)["'`]""")
_REDOC_INIT = re.compile(r"""Redoc\.init\(\s*["'`]([^"'`\s<>]+)["'`]""")
_FILE_LINK = re.compile(
    r"""(?:href|src|data-url)\s*=\s*["']([^"'\s<>]+\.(?:json|ya?ml)(?:\?[^"'\s<>]*)?)["']""",
    re.I)
_ASSET = re.compile(r"\.(?:js|mjs|css|png|svg|ico|html?|woff2?)(?:[?#]|$)", re.I)


class _Search:
    """The spec search's requests: each URL once, ``MAX_SPEC_REQUESTS`` at most."""

    def __init__(self, http: ScanHTTP) -> None:
        self.http = http
        self.tried: set[str] = set()

    @property
    def spent(self) -> int:
        return len(self.tried)

    async def get(self, url: str) -> httpx.Response | None:
        """One GET of ``url`` unless already tried or the search's budget is spent; a
        same-origin redirect is followed once."""
        if url in self.tried or self.spent >= MAX_SPEC_REQUESTS:
            return None
        self.tried.add(url)
        response = await self.http.request("GET", url, headers={"Accept": ACCEPT})
        location = response.headers.get("location")
        if response.is_redirect and location and self.spent < MAX_SPEC_REQUESTS:
            target = urljoin(url, location)
            if self.same_origin(target) and target not in self.tried:
                self.tried.add(target)
                response = await self.http.request("GET", target, headers={"Accept": ACCEPT})
        return response

    def same_origin(self, url: str) -> bool:
        return url.startswith(("http://", "https://")) and \
            origin_of(url) == origin_of(self.http.target)


def _count_nodes(node: Any) -> None:
    """Raise SpecTooLarge past ``MAX_NODES``: YAML aliases can make a small text a huge
    tree."""
    stack, seen = [node], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise SpecTooLarge(f"the API document has more than {MAX_NODES} nodes")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _load(response: httpx.Response) -> Any:
    text = response.text
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return json.loads(text)
    if head == "<" or "html" in response.headers.get("content-type", ""):
        return None
    document = yaml.safe_load(text)
    _count_nodes(document)
    return document


def read_spec(response: httpx.Response, *, mounted_at: str = "") -> dict[str, Any] | None:
    """The OpenAPI 3 document in ``response`` (Swagger 2.0 rewritten), or None."""
    if response.status_code != 200 or len(response.content) > MAX_SPEC_BYTES:
        return None
    try:
        document = _load(response)
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            return None
        return to_openapi3(document, mounted_at=mounted_at) if is_swagger2(document) \
            else document
    except (ValueError, yaml.YAMLError, RecursionError, UnicodeDecodeError):
        return None


def _config_urls(response: httpx.Response) -> list[str]:
    """Spec URLs in a Swagger UI config answer (``{"url": …}`` or ``{"urls": [{url}]}``)."""
    if response.status_code != 200 or len(response.content) > MAX_SPEC_BYTES:
        return []
    try:
        data = json.loads(response.text)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, dict) or "paths" in data:
        return []
    urls = [data.get("url")] + [u.get("url") for u in data.get("urls") or []
                                if isinstance(u, dict)]
    return [u for u in urls if isinstance(u, str) and u][:MAX_LINKS_PER_PAGE]


def spec_links(html: str, page_url: str) -> Iterator[str]:
    """Absolute URLs of the spec (or Swagger UI config) a documentation page loads."""
    found: list[str] = []
    for pattern in (_CONFIG_URL, _REDOC_INIT, _FILE_LINK):
        for match in pattern.finditer(html):
            link = match.group(1)
            if link.startswith(("data:", "javascript:", "#")) or _ASSET.search(link):
                continue
            url = urljoin(page_url, link)
            if url not in found:
                found.append(url)
    yield from found[:MAX_LINKS_PER_PAGE]


async def fetch_spec(http: ScanHTTP) -> tuple[str, dict[str, Any]] | None:
    """Where the target's API document is and the document (OpenAPI 3 shape), or None.

    Conventional paths first, then the spec URLs documentation pages point at.
    """
    search = _Search(http)
    for path in SPEC_PATHS:
        response = await search.get(http.url(path))
        spec = read_spec(response, mounted_at=http.base_path) if response else None
        if spec is not None:
            return path, spec
    for page in DOCS_PAGES:
        page_url = http.url(page)
        response = await search.get(page_url)
        if response is None or response.status_code != 200 or \
                len(response.content) > MAX_SPEC_BYTES:
            continue
        pending = list(spec_links(response.text, page_url))
        while pending:
            link = pending.pop(0)
            if not search.same_origin(link):
                continue
            answer = await search.get(link)
            if answer is None:
                continue
            spec = read_spec(answer, mounted_at=http.base_path)
            if spec is not None:
                return link, spec
            pending.extend(u for u in (urljoin(link, c) for c in _config_urls(answer))
                           if u not in search.tried)
    return None
