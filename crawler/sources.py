"""The sources file: which portals to crawl, with optional per-portal overrides (docs/SOURCES.md).

Validation is strict and names the entry and field at fault, because a typo in a hand-edited
sources file ("start_url" for "start_urls") would otherwise silently crawl nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from storage.records import PortalInfo


class SourcesError(ValueError):
    """A sources file (or START_URL) that cannot be used; the message says where and why."""


@dataclass(slots=True)
class Portal:
    """One portal to crawl, as read from the sources file (or made up from a bare START_URL)."""

    name: str
    start_urls: list[str]
    region_code: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    allowed_hosts: set[str] = field(default_factory=set)
    column_url_patterns: list[re.Pattern[str]] = field(default_factory=list)
    report_url_patterns: list[re.Pattern[str]] = field(default_factory=list)
    list_selectors: list[str] = field(default_factory=list)
    extra_list_endpoints: list[str] = field(default_factory=list)
    max_pages: int | None = None

    def __post_init__(self) -> None:
        # HTML is only followed on the portal's own hosts: the start URLs' hosts count as its own.
        for url in [*self.start_urls, *self.extra_list_endpoints]:
            host = urlsplit(url).hostname
            if host:
                self.allowed_hosts.add(host.lower())

    @property
    def info(self) -> PortalInfo:
        return PortalInfo(self.name, self.region_code, self.province, self.city, self.county)

    def matches_column(self, url: str) -> bool:
        return any(p.search(url) for p in self.column_url_patterns)

    def matches_report(self, url: str) -> bool:
        return any(p.search(url) for p in self.report_url_patterns)


_STR_FIELDS = ("region_code", "province", "city", "county")
_LIST_FIELDS = ("allowed_hosts", "column_url_patterns", "report_url_patterns", "list_selectors", "extra_list_endpoints")
KNOWN_FIELDS = frozenset({"name", "start_urls", "max_pages", *_STR_FIELDS, *_LIST_FIELDS})


def load_sources(path: str | Path) -> list[Portal]:
    """Read and validate a YAML or JSON sources file. Raises SourcesError with a precise message."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourcesError(f"sources file {p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"sources file {p}: cannot read it ({exc})") from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SourcesError(f"sources file {p}: not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'}: {exc}") from None
    return parse_sources(data, origin=str(p))


def parse_sources(data: Any, origin: str = "sources") -> list[Portal]:
    """Validate already-loaded sources data: a list of portal mappings, or {"portals": [...]}."""
    if isinstance(data, dict) and set(data) == {"portals"}:
        data = data["portals"]
    if not isinstance(data, list):
        raise SourcesError(f"{origin}: expected a list of portals (or a mapping with a 'portals' list), got {_kind(data)}")
    if not data:
        raise SourcesError(f"{origin}: the list of portals is empty")
    portals: list[Portal] = []
    names: set[str] = set()
    for i, entry in enumerate(data, 1):
        portal = _parse_entry(entry, f"{origin}: entry {i}")
        if portal.name in names:
            raise SourcesError(f"{origin}: entry {i} ({portal.name!r}): field 'name': duplicate portal name")
        names.add(portal.name)
        portals.append(portal)
    return portals


def _parse_entry(entry: Any, where: str) -> Portal:
    if not isinstance(entry, dict):
        raise SourcesError(f"{where}: expected a mapping (name, start_urls, ...), got {_kind(entry)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourcesError(f"{where}: field 'name': required, a non-empty string")
    where = f"{where} ({name!r})"
    unknown = sorted(set(entry) - KNOWN_FIELDS)
    if unknown:
        raise SourcesError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(KNOWN_FIELDS))}")
    start_urls = _str_list(entry, "start_urls", where, required=True)
    for url in start_urls:
        _check_url(url, where, "start_urls")
    kwargs: dict[str, Any] = {}
    for f in _STR_FIELDS:
        value = entry.get(f)
        if value is None:
            continue
        if isinstance(value, int) and f == "region_code":
            value = str(value)
        if not isinstance(value, str):
            raise SourcesError(f"{where}: field {f!r}: expected a string, got {_kind(value)}")
        kwargs[f] = value.strip() or None
    rc = kwargs.get("region_code")
    if rc is not None and not re.fullmatch(r"\d{6}", rc):
        raise SourcesError(f"{where}: field 'region_code': expected a 6-digit division code, got {rc!r}")
    hosts = _str_list(entry, "allowed_hosts", where)
    kwargs["allowed_hosts"] = {h.strip().lower() for h in hosts}
    for f in ("column_url_patterns", "report_url_patterns"):
        pats = []
        for pat in _str_list(entry, f, where):
            try:
                pats.append(re.compile(pat))
            except re.error as exc:
                raise SourcesError(f"{where}: field {f!r}: bad regular expression {pat!r}: {exc}") from None
        kwargs[f] = pats
    kwargs["list_selectors"] = _str_list(entry, "list_selectors", where)
    endpoints = _str_list(entry, "extra_list_endpoints", where)
    for url in endpoints:
        _check_url(url, where, "extra_list_endpoints")
    kwargs["extra_list_endpoints"] = endpoints
    mp = entry.get("max_pages")
    if mp is not None:
        if isinstance(mp, bool) or not isinstance(mp, int) or mp < 1:
            raise SourcesError(f"{where}: field 'max_pages': expected a positive integer, got {mp!r}")
        kwargs["max_pages"] = mp
    return Portal(name=name.strip(), start_urls=start_urls, **kwargs)


def portal_for_url(url: str) -> Portal:
    """A portal made up from a bare START_URL given on the command line (named after its host)."""
    _check_url(url, "START_URL", "url")
    parts = urlsplit(url)
    return Portal(name=parts.netloc, start_urls=[url])


def _str_list(entry: dict[str, Any], f: str, where: str, *, required: bool = False) -> list[str]:
    value = entry.get(f)
    if value is None:
        if required:
            raise SourcesError(f"{where}: field {f!r}: required, a list of URLs")
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SourcesError(f"{where}: field {f!r}: expected a list of non-empty strings, got {value!r}")
    if required and not value:
        raise SourcesError(f"{where}: field {f!r}: must not be empty")
    return [v.strip() for v in value]


def _check_url(url: str, where: str, f: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourcesError(f"{where}: field {f!r}: not an http(s) URL: {url!r}")


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
