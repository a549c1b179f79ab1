"""Routes: who receives which alerts, how, when and in which language.

One route a YAML file in ``data/routes/`` (``listening watch --routes DIR`` for
another folder)::

    name: Traffic unit
    min_severity: 5
    language: both            # en, fr or both
    email: [traffic.desk@example.org]
    webhook: https://example.webhook.office.com/...   # optional
    webhook_format: teams     # teams, slack or json (default: from the URL)
    filters:                  # optional; an alert must pass every filter given
      rule: road_closures     # rule(s) most example posts match (or a rule:<name> segment)
      topic: [Road closures]  # topic label(s) or ids, segment: all, platform:x, ...
      language: [en, fr]      # the alert's language (segment or example posts)
    quiet_hours: "22:00-07:00"    # held until the end, unless severity >= quiet_override
    quiet_override: 8
    digest: none              # none (immediate), hourly or daily
    pseudonymise: false       # example posts with handles replaced
    brief: out/brief.html     # link or path given in each message

Every file is validated when loaded; a mistake raises :class:`RouteFileError`
naming the file, the line and what is accepted.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import yaml

from ..errors import ListeningError
from ..threats.baseline import DEFAULT_TZ

ROUTES_FOLDER = Path("data/routes")
LANGUAGES = ("en", "fr", "both")
DIGESTS = ("none", "hourly", "daily")
WEBHOOK_FORMATS = ("teams", "slack", "json")
FILTERS = ("rule", "topic", "segment", "language")
FIELDS = ("name", "min_severity", "language", "email", "webhook", "webhook_format",
          "filters", "quiet_hours", "quiet_override", "timezone", "digest", "pseudonymise",
          "brief")
DEFAULT_QUIET_OVERRIDE = 8
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
_HOURS = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)")


class RouteFileError(ListeningError):
    """A route file is invalid: ``path``, ``line`` (1-based) and ``field`` say where."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None,
                 field: str = "") -> None:
        self.path, self.line, self.field = path, line, field
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclasses.dataclass(frozen=True)
class Route:
    """One validated route (see the module docstring for the fields)."""

    name: str
    min_severity: int
    language: str
    email: tuple[str, ...] = ()
    webhook: str | None = None
    webhook_format: str = "json"
    rule: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    alert_language: tuple[str, ...] = ()
    quiet_hours: tuple[int, int] | None = None  # minutes after local midnight: start, end
    quiet_override: int = DEFAULT_QUIET_OVERRIDE
    timezone: str = DEFAULT_TZ
    digest: str = "none"
    pseudonymise: bool = False
    brief: str | None = None
    path: str = ""

    @property
    def languages(self) -> tuple[str, ...]:
        return ("en", "fr") if self.language == "both" else (self.language,)

    def channels(self) -> list[tuple[str, str]]:
        """``[(channel, target)]``: one ``("email", "a@x, b@y")`` and/or one webhook."""
        out = []
        if self.email:
            out.append(("email", ", ".join(self.email)))
        if self.webhook:
            out.append((self.webhook_format, self.webhook))
        return out

    def due(self, now: pd.Timestamp, severity: int) -> pd.Timestamp:
        """When an alert of ``severity`` seen at ``now`` goes out: now, the end of the
        quiet hours, or the next digest time (local hour or local midnight)."""
        local = now.tz_convert(self.timezone)
        when = now
        if self.digest == "hourly":
            when = (local.floor("h") + pd.Timedelta(hours=1)).tz_convert("UTC")
        elif self.digest == "daily":
            when = (local.normalize() + pd.Timedelta(days=1)).tz_convert("UTC")
        if self.quiet_hours and severity < self.quiet_override:
            when = max(when, self._quiet_end(when))
        return when

    def _quiet_end(self, when: pd.Timestamp) -> pd.Timestamp:
        """``when`` itself outside the quiet hours, else the end of the quiet period."""
        start, end = self.quiet_hours
        local = when.tz_convert(self.timezone)
        minute = local.hour * 60 + local.minute
        inside = (start <= minute < end) if start < end else (minute >= start or minute < end)
        if not inside:
            return when
        day = local.normalize()
        if start >= end and minute >= start:
            day += pd.Timedelta(days=1)  # overnight quiet hours: they end tomorrow morning
        return (day + pd.Timedelta(minutes=end)).tz_convert("UTC")


def _node_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fail(message: str, path: Path, node: yaml.Node | None, field: str = "") -> RouteFileError:
    return RouteFileError(message, path=str(path), line=_node_line(node) if node else None,
                          field=field)


def _strings(node: yaml.Node, path: Path, field: str) -> tuple[str, ...]:
    """A string or a list of strings."""
    if isinstance(node, yaml.ScalarNode) and node.value.strip():
        return (node.value.strip(),)
    if isinstance(node, yaml.SequenceNode) and node.value and all(
            isinstance(item, yaml.ScalarNode) and item.value.strip() for item in node.value):
        return tuple(item.value.strip() for item in node.value)
    raise _fail(f"{field} must be a text or a list of texts", path, node, field)


def _integer(node: yaml.Node, path: Path, field: str) -> int:
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    if value is None or not re.fullmatch(r"\d+", value.strip()) or not 1 <= int(value) <= 10:
        raise _fail(f"{field}: {value!r} is not accepted; use a whole number from 1 to 10 "
                    f"(the alerts' severity scale)", path, node, field)
    return int(value)


def _choice(node: yaml.Node, path: Path, field: str, allowed: tuple[str, ...]) -> str:
    value = node.value.strip().lower() if isinstance(node, yaml.ScalarNode) else None
    if value not in allowed:
        raise _fail(f"{field}: {value!r} is not accepted; use {', '.join(allowed)}",
                    path, node, field)
    return value


def _webhook_format(url: str) -> str:
    if "hooks.slack.com" in url:
        return "slack"
    if "webhook.office.com" in url or "logic.azure.com" in url:
        return "teams"
    return "json"


def _filters(node: yaml.Node, path: Path) -> dict:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(f"filters must be a mapping of {', '.join(FILTERS)}", path, node, "filters")
    out = {}
    for key, value in node.value:
        if key.value not in FILTERS:
            raise _fail(f"unknown filter {key.value!r}; filters are {', '.join(FILTERS)}",
                        path, key, "filters")
        values = _strings(value, path, f"filters.{key.value}")
        if key.value == "language":
            out["alert_language"] = tuple(v.lower() for v in values)
        else:
            out[key.value] = values
    return out


def parse_route(text: str, path: Path) -> Route:
    """Validate one route file's text; ``path`` names it in errors."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RouteFileError(f"not valid YAML ({getattr(exc, 'problem', exc)})", path=str(path),
                             line=mark.line + 1 if mark else None) from None
    if not isinstance(root, yaml.MappingNode):
        raise _fail("a route is a YAML mapping (name: ..., min_severity: ..., ...)", path, root)
    nodes: dict[str, yaml.Node] = {}
    for key, value in root.value:
        name = str(key.value)
        if name not in FIELDS:
            raise _fail(f"unknown field {name!r}; a route has {', '.join(FIELDS)}", path, key,
                        name)
        if name in nodes:
            raise _fail(f"field {name!r} is given twice", path, key, name)
        nodes[name] = value
    for required in ("name", "min_severity", "language"):
        if required not in nodes:
            raise _fail(f"missing field {required!r} (every route has name, min_severity, "
                        f"language, and email and/or webhook)", path, root, required)
    if "email" not in nodes and "webhook" not in nodes:
        raise _fail("a route needs email (a list of addresses) and/or webhook (a URL)",
                    path, root, "email")
    kw: dict = {"path": str(path)}
    kw["name"] = _strings(nodes["name"], path, "name")[0]
    kw["min_severity"] = _integer(nodes["min_severity"], path, "min_severity")
    kw["language"] = _choice(nodes["language"], path, "language", LANGUAGES)
    if "email" in nodes:
        kw["email"] = _strings(nodes["email"], path, "email")
        bad = [a for a in kw["email"] if not _EMAIL.fullmatch(a)]
        if bad:
            raise _fail(f"email: {bad[0]!r} is not an e-mail address", path, nodes["email"],
                        "email")
    if "webhook" in nodes:
        url = _strings(nodes["webhook"], path, "webhook")[0]
        if not re.match(r"https?://[^\s/]+", url):
            raise _fail(f"webhook: {url!r} is not an http(s) URL", path, nodes["webhook"],
                        "webhook")
        kw["webhook"] = url
        kw["webhook_format"] = (_choice(nodes["webhook_format"], path, "webhook_format",
                                        WEBHOOK_FORMATS)
                                if "webhook_format" in nodes else _webhook_format(url))
    if "filters" in nodes:
        kw.update(_filters(nodes["filters"], path))
    if "quiet_hours" in nodes:
        node = nodes["quiet_hours"]
        found = _HOURS.fullmatch(node.value.strip()) if isinstance(node, yaml.ScalarNode) \
            else None
        if not found:
            raise _fail("quiet_hours: write them as \"22:00-07:00\" (local time)", path, node,
                        "quiet_hours")
        h1, m1, h2, m2 = map(int, found.groups())
        kw["quiet_hours"] = (h1 * 60 + m1, h2 * 60 + m2)
    if "quiet_override" in nodes:
        kw["quiet_override"] = _integer(nodes["quiet_override"], path, "quiet_override")
    if "timezone" in nodes:
        zone = _strings(nodes["timezone"], path, "timezone")[0]
        try:
            pd.Timestamp("2026-01-01", tz=zone)
        except (KeyError, ValueError, TypeError):  # zoneinfo's unknown-zone errors
            raise _fail(f"timezone: {zone!r} is not an IANA time zone (e.g. America/Toronto)",
                        path, nodes["timezone"], "timezone") from None
        kw["timezone"] = zone
    if "digest" in nodes:
        kw["digest"] = _choice(nodes["digest"], path, "digest", DIGESTS)
    if "pseudonymise" in nodes:
        kw["pseudonymise"] = _choice(nodes["pseudonymise"], path, "pseudonymise",
                                     ("true", "false", "yes", "no")) in ("true", "yes")
    if "brief" in nodes:
        kw["brief"] = _strings(nodes["brief"], path, "brief")[0]
    return Route(**kw)


def load_routes(folder: str | Path | None = None) -> list[Route]:
    """Every ``*.yaml``/``*.yml`` route in ``folder`` (default ``data/routes``), by file name.

    Raises :class:`RouteFileError` for the first invalid file (file, line, what is
    accepted), or when two files declare the same route name.
    """
    folder = Path(folder) if folder is not None else ROUTES_FOLDER
    if not folder.is_dir():
        raise RouteFileError("no route folder here; create it with one YAML file per route "
                             "(see data/routes/ in the repository) or pass --routes DIR",
                             path=str(folder))
    routes, names = [], {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        route = parse_route(path.read_text(encoding="utf-8"), path)
        if route.name in names:
            raise RouteFileError(f"route name {route.name!r} is also used by {names[route.name]};"
                                 f" names identify what was sent, so give each route its own",
                                 path=str(path), field="name")
        names[route.name] = path.name
        routes.append(route)
    if not routes:
        raise RouteFileError("no route file (*.yaml) in this folder; alerts would go nowhere",
                             path=str(folder))
    return routes


def accepts(route: Route, alert: dict) -> bool:
    """Whether ``route`` takes ``alert``: severity, then every filter it gives.

    ``alert`` has ``severity``, ``segments`` (its segment and the related ones),
    ``rules`` (rules most of its example posts match), ``topics`` (topic ids and
    labels) and ``languages`` (from a language segment, else its example posts).
    """
    if int(alert["severity"]) < route.min_severity:
        return False
    segments = set(alert["segments"])
    if route.segment and not segments & set(route.segment):
        return False
    if route.rule and not ({f"rule:{r}" for r in route.rule} & segments
                           or set(route.rule) & set(alert["rules"])):
        return False
    if route.topic:
        wanted = {t.lower() for t in route.topic}
        have = {str(t).lower() for t in alert["topics"]}
        have |= {s.split(":", 1)[1].lower() for s in segments if s.startswith("topic:")}
        if not wanted & have:
            return False
    return not route.alert_language or bool(set(route.alert_language)
                                            & set(alert["languages"]))
