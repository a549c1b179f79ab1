"""Where handles hide: ``@mentions``, Reddit names and accounts in web addresses.

:class:`HandleRewriter` finds every form :mod:`listening.pseudonymise` promises
to replace (its docstring lists them) and asks a callback what to write
instead; :func:`handle_key` is the one normalisation of a handle, so ``@Erin_W``,
``erin_w``, ``＠ｅｒｉｎ_ｗ`` and ``x.com/ERIN_W`` are the same account. Pure string
work: no secrets here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import unquote

import numpy as np
import pandas as pd

__all__ = ["CANDIDATE", "HandleRewriter", "handle_key", "is_missing"]

# Characters inside a handle, by platform (first and last are always \w, so a
# sentence's full stop or a dash after "@jane" is not taken into the handle).
# X: letters, digits and "_" (help.x.com, "username" rules); Instagram, Facebook,
# TikTok, Threads: also "."; YouTube handles, Reddit names, Bluesky and Mastodon
# (domain handles): also "-". Other platforms and news: the widest set.
_HANDLE_BODY = {"x": r"\w", "instagram": r"[\w.]", "facebook": r"[\w.]", "tiktok": r"[\w.]"}
_WIDE_BODY = r"[\w.-]"
_AT = "@\uff20"  # "@" and the full-width "＠" X also links


def is_missing(value: object) -> bool:
    """None, pd.NA or a float NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def handle_key(handle: object) -> str:
    """Normalise a handle: NFKC, trimmed, case-folded, without a leading ``@``, ``u/`` or ``/u/``.

    >>> handle_key(" @Jane_Doe ")
    'jane_doe'
    >>> handle_key("/u/Throwaway"), handle_key("\\uff20\\uff2a\\uff41\\uff4e\\uff45")
    ('throwaway', 'jane')
    """
    if type(handle) is str:
        key = handle
    elif is_missing(handle):
        return ""
    elif isinstance(handle, (float, np.floating)) and float(handle).is_integer():
        key = str(int(handle))  # an account id read into a float column (NaN elsewhere)
    else:
        key = str(handle)
    if not key.isascii():  # full-width and other compatibility forms: "＠Ｊａｎｅ" is "@jane"
        key = unicodedata.normalize("NFKC", key)
    key = key.strip().casefold()
    for prefix in ("@", "/u/", "u/"):
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return key


# ---------------------------------------------------------------- where handles hide

# Sites whose addresses name accounts, and where; ``m.``, ``www.``, ``mobile.``,
# ``old.`` and other sub-domains are accepted.
_SITES = ("twitter.com", "x.com", "reddit.com", "youtube.com", "instagram.com",
          "threads.net", "threads.com", "tiktok.com", "facebook.com", "fb.com",
          "linkedin.com", "bsky.app")
# First path segments on X/Twitter, Instagram, Threads and Facebook that are pages,
# not accounts.
_NOT_ACCOUNTS = frozenset({
    "i", "intent", "search", "hashtag", "home", "explore", "notifications", "messages",
    "settings", "share", "sharer", "sharer.php", "compose", "login", "logout", "signup",
    "tos", "privacy", "about", "download", "jobs", "account", "accounts", "p", "reel",
    "reels", "tv", "direct", "groups", "pages", "events", "watch", "photo", "photo.php",
    "story.php", "permalink.php", "profile.php", "help", "marketplace", "gaming", "legal",
    "stories", "topics", "lists", "status", "web", "ads", "business", "policies", "plugins",
    "dialog", "video", "videos", "media", "posts", "l.php", "hashtags", "r",
})
# Query parameters whose value is an account: X's intents and share links, Facebook's ids.
_ACCOUNT_PARAMS = {"twitter.com": ("screen_name", "user_id", "via", "related"),
                   "facebook.com": ("id",)}
# A web address: with a scheme, from "www.", or one of the sites above without a scheme.
_URL_TEXT = (r"(?<![\w.@\uff20/-])(?:https?://[^\s<>\"'`]+|www\.[^\s<>\"'`]+|"
             r"(?:[a-z0-9-]+\.)*(?:" + "|".join(re.escape(s) for s in _SITES) + r")"
             r"(?![\w.-])(?:[/?#][^\s<>\"'`]*)?)")
_TRAILING = ".,;:!?)]}'\"»"
_URL_PARTS = re.compile(r"^(?P<pre>(?:[a-z][a-z0-9+.-]*:)?//[^/?#]*|[^/?#]*)"
                        r"(?P<path>[^?#]*)(?P<query>\?[^#]*)?(?P<frag>#.*)?$", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=32)
def _text_pattern(body: str) -> re.Pattern:
    """One pass over a text: web addresses first, then ``@`` mentions, then Reddit names.

    Reddit names are 3-20 letters, digits, ``_`` or ``-`` (reddit.com's sign-up
    rule), written ``u/name``, ``/u/name`` or as the user's own subreddit ``r/u_name``.
    """
    handle = rf"\w(?:{body}*\w)?"
    server = rf"(?:[{_AT}](?P<server>\w(?:[\w.-]*\w)?\.\w+))?" if body == _WIDE_BODY else ""
    return re.compile(
        rf"(?P<url>{_URL_TEXT})"
        rf"|(?<![\w{_AT}])[{_AT}](?P<handle>{handle}){server}"
        r"|(?<![\w/])(?P<lead>/?)(?P<form>u/|r/u_)(?P<reddit>[\w-]{3,20})(?![\w-])",
        re.IGNORECASE)


# The registrable part of each site's host name -> the site it stands for.
_SITE_OF = {s: {"x.com": "twitter.com", "fb.com": "facebook.com",
                "threads.com": "threads.net"}.get(s, s) for s in _SITES}


@lru_cache(maxsize=4096)
def _site(host: str) -> str | None:
    """The site of a (lower-case, port-less) host name: ``mobile.twitter.com`` -> ``twitter.com``."""
    return _SITE_OF.get(".".join(host.rstrip(".").rsplit(".", 2)[-2:]))


def _plain(segment: str) -> str:
    return unquote(segment) if "%" in segment else segment


def _account_segments(site: str | None, segments: list[str], low: str) -> set[int]:
    """Indexes of the path segments that name an account on ``site`` (``low``: the path, case-folded)."""
    found = set()
    if "@" in low or "%40" in low or "\uff20" in low:  # /@<h> on any site
        found = {i for i, s in enumerate(segments)
                 if len(s) > 1 and (s[0] in _AT or s[:3] == "%40")}
    if site is None:
        return found
    first = 1 if len(segments) > 1 and segments[0] == "" and segments[1] else None
    if first is None:
        first = next((i for i, s in enumerate(segments) if s), None)
        if first is None:
            return found
    head = _plain(segments[first]).casefold()
    if site in ("twitter.com", "instagram.com", "threads.net", "facebook.com"):
        if head not in _NOT_ACCOUNTS:
            found.add(first)
        elif head == "stories":  # instagram.com/stories/<h>/...
            found.add(first + 1)
        elif site == "twitter.com" and head == "i" and [
                s.casefold() for s in segments[first + 1:first + 2]] == ["user"]:
            found.add(first + 2)  # x.com/i/user/<numeric id>
    elif site == "reddit.com" and head == "r" and low.startswith("/r/u_", first - 1):
        found.add(first + 1)  # a user's own subreddit: /r/u_<name>
    elif ((site == "reddit.com" and head in ("user", "u"))
            or (site == "youtube.com" and head in ("user", "c", "channel"))
            or (site == "linkedin.com" and head in ("in", "pub"))
            or (site == "bsky.app" and head == "profile")):
        found.add(first + 1)
    return {i for i in found if i < len(segments)}


# A web address can name someone only if it has one of these (or the row's author).
_MAY_NAME = re.compile(r"[@\uff20]|%40|" + "|".join(re.escape(s) for s in _SITES), re.IGNORECASE)


class HandleRewriter:
    """Finds handles in texts and web addresses and asks ``replace`` what to write instead.

    ``replace(key, kind)`` gets a normalised handle (:func:`handle_key`) and
    where it was found (``"mentions"`` in text, ``"urls"`` in an address) and
    returns the replacement, or None to keep the handle as it is.
    """

    def __init__(self, replace: Callable[[str, str], str | None]):
        self.replace_key = replace

    def replace(self, raw: str, kind: str) -> str | None:
        return self.replace_key(handle_key(raw), kind)

    def url(self, url: str, own: str = "") -> str:
        """``url`` with account segments, account query values and the row's author replaced."""
        if not (own and own in url.casefold()) and _MAY_NAME.search(url) is None:
            return url
        parts = _URL_PARTS.match(url)
        if parts is None:  # cannot happen (every part is optional); keep the text whole
            return url
        pre, path = parts.group("pre"), parts.group("path")
        query, frag = parts.group("query") or "", parts.group("frag") or ""
        host = (pre.split("//", 1)[-1] if "//" in pre else pre).rsplit("@", 1)[-1]
        host = host.split(":", 1)[0].casefold().removeprefix("www.")
        site = _site(host)
        if site is None and "//" not in pre and "." not in host:
            return url  # a relative path ("/u/x" is handled as a Reddit name)
        path = self._path(path, site, host, own)
        if frag.startswith("#!/"):  # old Twitter addresses: twitter.com/#!/jane
            frag = "#!" + self._path(frag[2:], site, host, own)
        if query:
            query = self._query(query, site, own)
        return pre + path + query + frag

    def _path(self, path: str, site: str | None, host: str, own: str) -> str:
        segments = path.split("/")
        low = path.casefold()
        accounts = _account_segments(site, segments, low)
        owned = set()
        if own and own in low:
            owned = {i for i, s in enumerate(segments) if own in s.casefold()}
        for i in sorted(accounts | owned):
            plain = _plain(segments[i])
            lead = plain[0] if plain and plain[0] in _AT else ""
            if (site == "reddit.com" and i in accounts and segments[i - 1].casefold() == "r"
                    and plain.casefold().startswith("u_")):
                lead, plain = "u_", plain[2:]
            key = handle_key(plain)
            if not key or (key != own and i not in accounts):
                continue
            if key != own and site is None:
                key = f"{key}@{host}"  # Mastodon-style: the account is user@server
            token = self.replace_key(key, "urls")
            if token is not None:
                segments[i] = lead + token
        return "/".join(segments)

    def _query(self, query: str, site: str | None, own: str) -> str:
        names = _ACCOUNT_PARAMS.get(site or "", ())
        pairs = query[1:].split("&")
        for i, pair in enumerate(pairs):
            name, eq, value = pair.partition("=")
            if not eq:
                continue
            values = unquote(value.replace("+", " ")).split(",")
            if name.casefold() in names or (own and any(handle_key(v) == own for v in values)):
                fixed = [self.replace(v, "urls") or v for v in values]
                pairs[i] = name + "=" + ",".join(fixed)
        return "?" + "&".join(pairs)

    def text(self, text: str, platform: object = None, own: str = "") -> str:
        """``text`` with every handle form replaced; ``own`` is the row's author key."""
        def sub(match: re.Match) -> str:
            if match.group("url") is not None:
                whole = match.group("url")
                core = whole.rstrip(_TRAILING)
                return self.url(core, own) + whole[len(core):]
            if match.group("handle") is not None:
                server = match.groupdict().get("server")
                raw = match.group("handle") + ("@" + server if server else "")
                token = self.replace(raw, "mentions")
                return match.group(0) if token is None else match.group(0)[0] + token
            token = self.replace(match.group("reddit"), "mentions")
            return (match.group(0) if token is None
                    else match.group("lead") + match.group("form") + token)

        return _text_pattern(_HANDLE_BODY.get(str(platform), _WIDE_BODY)).sub(sub, text)


# A cell can hold a handle only if it has one of these: a quick vectorised filter.
# (A pattern string Arrow's RE2 reads too: literal "＠", inline flag.)
CANDIDATE = "(?i)[@\uff20]|u/|%40|://|www\\.|" + "|".join(re.escape(s) for s in _SITES)
