"""robots.txt, as RFC 9309 reads it, for the few pages a provider fetches per site.

- 2xx: the rules apply (the stdlib parser matches our product token, ``syncd``, as
  a ``User-agent`` group, else ``*``);
- 4xx (404 most often): no rules, everything may be fetched (RFC 9309 §2.3.1.3);
- 5xx or no answer: the shared retry policy retries it, then the lookup fails and is
  tried again later: nothing is fetched from a site whose rules could not be read
  (§2.3.1.4);
- redirects are followed within the site's registrable domain, up to five hops; one
  that leaves it counts as no robots.txt.

Rules are read once per host and lookup.
"""

from __future__ import annotations

import urllib.parse
import urllib.robotparser

from enrichment.domains import registrable_domain
from enrichment.providers.http import HttpClient

MAX_HOPS = 5


class Robots:
    """The robots.txt rules of the hosts one lookup visits."""

    def __init__(self, http: HttpClient, agent: str) -> None:
        self.http, self.agent = http, agent
        self._rules: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def allowed(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            self._rules[origin] = self._read(origin)
        rules = self._rules[origin]
        return rules is None or rules.can_fetch(self.agent, url)

    def _read(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """The parsed rules; None when the site has none."""
        url = f"{origin}/robots.txt"
        home = registrable_domain(urllib.parse.urlsplit(origin).hostname or "")
        for _ in range(MAX_HOPS + 1):
            answer = self.http.get(url, f"robots.txt of {origin}")
            target = answer.location()
            if target is None:
                break
            if registrable_domain(urllib.parse.urlsplit(target).hostname or "") != home:
                return None
            url = target
        if not 200 <= answer.status < 300:
            return None
        rules = urllib.robotparser.RobotFileParser(url)
        rules.parse(answer.body.decode("utf-8", "replace").splitlines())
        return rules
