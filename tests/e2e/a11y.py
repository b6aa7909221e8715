"""Accessibility and layout checks for every page the browser tests visit.

axe-core (the copy that axe-playwright-python ships: nothing is fetched) runs on each document
a test's page loads and after each htmx swap, without the test asking: the `browser` fixture
hands out a watched browser, whose contexts hand out watched pages. A watched page notes each
`load` (and each `htmx:afterSettle`) and, at the test's next use of the page (or at the end of
the test), runs axe on what is on screen. Serious and critical violations (axe's own impact
levels, WCAG 2.1 A and AA rules) fail the test, listing the address, the rule and the elements.
At any width (390 px for a phone, 1280 px for a desk) the page must not scroll sideways; and no
page may show template syntax ({# ... #} written over two lines is not a Django comment).

A page identical to one already checked (same markup, CSRF tokens aside, at the same width) is
not checked again: its findings are reported again. Every run is counted;
`var/e2e-a11y[-<worker>].json` lists the addresses and the routes checked, so one can say on how
many distinct pages axe ran, and the time it took."""

from __future__ import annotations

import json
import os
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.base import AXE_SCRIPT

BLOCKING = ("serious", "critical")
OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
}
SWAP_BINDING = "__gesteA11ySwapped"
# Tells the watcher that htmx replaced part of the page (runs in every document, before its
# own scripts; the binding is Playwright's, not a script of the page, so the CSP allows it).
SWAP_HOOK = (
    "document.addEventListener('htmx:afterSettle', () => {"
    f" if (window.{SWAP_BINDING}) window.{SWAP_BINDING}(); }});"
)
# What the page shows, as a short fingerprint: an identical page (same markup at the same width)
# is checked once per session; its findings are reported again on each later visit. The CSRF
# tokens (64 letters and digits, new on each response) are left out.
SIGNATURE = """() => {
  if (document.contentType !== "text/html") return "";
  const text = document.documentElement.outerHTML.replace(/[A-Za-z0-9]{64}/g, "");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); }
  return location.pathname + location.search + "|" + text.length + "|" + (h >>> 0).toString(16);
}"""
RUN = r"""async ([options, blocking]) => {
  const r = await axe.run(document, options);
  const html = document.documentElement;
  const width = Math.max(html.scrollWidth, document.body ? document.body.scrollWidth : 0);
  // what sticks out on the right: the innermost elements past the viewport's edge
  const vw = html.clientWidth, out = e => e.getBoundingClientRect().right > vw + 1;
  const wide = width <= vw ? [] : [...document.body.querySelectorAll("*")].filter(
    e => out(e) && ![...e.children].some(out)).slice(0, 4).map(
    e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
      [...e.classList].map(c => "." + c).join(""));
  // template syntax shown to the reader (a comment or tag the template engine did not take)
  const text = document.body ? document.body.innerText : "";
  const leak = text.match(/.{0,30}(\{#|#\}|\{%|%\}|\{\{|\}\}).{0,30}/);
  return {
    url: location.href, width, wide, leak: leak ? leak[0] : "",
    violations: r.violations.filter(v => blocking.includes(v.impact)).map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 4).map(n => n.target.join(" ")),
    })),
  };
}"""


@dataclass(frozen=True)
class Problem:
    url: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.url}: {self.rule} ({self.impact}) {self.help} — {'; '.join(self.targets)}"


@dataclass
class Tally:
    """What axe did over the session (one per process: each xdist worker writes its own)."""

    runs: int = 0
    seconds: float = 0.0  # spent checking (axe and the fingerprints)
    repeats: int = 0  # a page identical to one already checked: its findings reused
    swaps: int = 0  # htmx swaps seen (each followed by a check)
    seen: dict[str, list[Problem]] = field(default_factory=dict)
    test: str = ""
    per_test: dict[str, list[float]] = field(default_factory=dict)  # runs, seconds
    urls: set[str] = field(default_factory=set)
    routes: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)  # this test's, until taken

    def visit(self, url: str) -> None:
        self.urls.add(url)
        route = route_of(url)
        if route:
            self.routes.add(route)

    def take(self) -> list[Problem]:
        found, self.problems = self.problems, []
        return found

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        path = directory / (f"e2e-a11y-{worker}.json" if worker else "e2e-a11y.json")
        data = {
            "axe_runs": self.runs,
            "identical_pages_not_rerun": self.repeats,
            "htmx_swaps": self.swaps,
            "seconds": round(self.seconds, 1),
            "per_test": {k: [int(v[0]), round(v[1], 1)] for k, v in self.per_test.items()},
            "routes": sorted(self.routes),
            "urls": sorted(self.urls),
        }
        path.write_text(json.dumps(data, indent=1) + "\n")
        return path


TALLY = Tally()
_WATCHES: weakref.WeakSet[Watch] = weakref.WeakSet()


def route_of(url: str) -> str:
    """The page an address shows (its Django view's name), so that /demandes/3/ and
    /demandes/9/ count once ("" for an address the site does not serve)."""
    from django.urls import Resolver404, resolve

    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    return match.view_name or match.route


class Watch:
    """Runs axe on one page after each load or htmx swap, before the test goes on."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.pending = False
        self.running = False
        page.on("load", self._changed)
        page.on("close", lambda _page: _WATCHES.discard(self))
        _WATCHES.add(self)

    def _changed(self, *_args: Any) -> None:
        self.pending = True

    def flush(self) -> None:
        if not self.pending or self.running or self.page.is_closed():
            return
        self.running = True
        start = time.perf_counter()
        try:
            self._check()
        finally:
            self.running = False
            spent = time.perf_counter() - start
            TALLY.seconds += spent
            TALLY.per_test.setdefault(TALLY.test, [0, 0.0])[1] += spent

    def _check(self) -> None:
        from playwright.sync_api import Error

        page = self.page
        for _attempt in range(3):
            self.pending = False
            try:
                page.wait_for_load_state("load")
                url = page.url
                signature = page.evaluate(SIGNATURE) if url.startswith("http") else ""
                if not signature:  # not a page: a PDF, an image, about:blank
                    return
                viewport = page.viewport_size
                key = f"{viewport['width'] if viewport else 0}|{signature}"
                if key in TALLY.seen:
                    TALLY.visit(url)
                    TALLY.repeats += 1
                    TALLY.problems.extend(TALLY.seen[key])
                    return
                if page.evaluate("typeof window.axe === 'undefined'"):
                    page.evaluate(AXE_SCRIPT)
                result = page.evaluate(RUN, [OPTIONS, list(BLOCKING)])
            except Error as exc:  # the page moved on while axe ran: check the new one
                if page.is_closed():
                    return
                last = exc
                continue
            break
        else:
            raise AssertionError(f"axe could not run on {page.url}: {last}")
        TALLY.runs += 1
        TALLY.per_test.setdefault(TALLY.test, [0, 0.0])[0] += 1
        TALLY.visit(result["url"])
        found = [
            Problem(result["url"], v["id"], v["impact"], v["help"], tuple(v["targets"]))
            for v in result["violations"]
        ]
        if viewport and result["width"] > viewport["width"]:
            found.append(
                Problem(
                    result["url"],
                    "sideways-scroll",
                    "serious",
                    f"the page is {result['width']} px wide on a {viewport['width']} px screen",
                    tuple(result["wide"]),
                )
            )
        if result["leak"]:
            found.append(
                Problem(
                    result["url"],
                    "template-leak",
                    "serious",
                    "template syntax shown",
                    (result["leak"],),
                )
            )
        TALLY.seen[key] = found
        TALLY.problems.extend(found)


def flush_all() -> None:
    for watch in list(_WATCHES):
        watch.flush()


class _Proxy:
    """Passes everything through to the wrapped Playwright object."""

    _target: Any

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __repr__(self) -> str:
        return f"watched {self._target!r}"


class WatchedPage(_Proxy):
    """A page whose every use first lets axe check what the last load or swap showed."""

    def __init__(self, page: Any, context: WatchedContext) -> None:
        super().__init__(page)
        object.__setattr__(self, "watch", Watch(page))
        object.__setattr__(self, "context", context)

    def __getattr__(self, name: str) -> Any:
        self.watch.flush()
        return getattr(self._target, name)

    def close(self, *args: Any, **kwargs: Any) -> None:
        self.watch.flush()
        self._target.close(*args, **kwargs)


class WatchedContext(_Proxy):
    def __init__(self, context: Any, browser: WatchedBrowser) -> None:
        super().__init__(context)
        object.__setattr__(self, "browser", browser)
        context.expose_binding(SWAP_BINDING, self._swapped)
        context.add_init_script(SWAP_HOOK)
        context.add_init_script(AXE_SCRIPT)  # parsed with each document: cheaper than later

    def _swapped(self, source: dict[str, Any]) -> None:
        TALLY.swaps += 1
        for watch in list(_WATCHES):
            if watch.page == source.get("page"):
                watch.pending = True

    def new_page(self) -> WatchedPage:
        return WatchedPage(self._target.new_page(), self)

    def close(self, *args: Any, **kwargs: Any) -> None:
        for watch in list(_WATCHES):
            if watch.page.context == self._target:
                watch.flush()
        self._target.close(*args, **kwargs)


class WatchedBrowser(_Proxy):
    def new_context(self, **kwargs: Any) -> WatchedContext:
        return WatchedContext(self._target.new_context(**kwargs), self)

    def new_page(self, **kwargs: Any) -> WatchedPage:
        return self.new_context(**kwargs).new_page()


def document_width(page: Any) -> int:
    """How wide the page really is (a page wider than the viewport scrolls sideways)."""
    return int(
        page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    )
