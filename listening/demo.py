"""A seeded, realistic mention stream for an Ontario public-safety agency.

``generate`` returns ``(frame, truth)`` in the style of ruptures' data generators:
the frame is an ordinary mention frame (it passes :func:`listening.schema.validate`)
and ``truth`` describes the incidents injected into it, so detection, topics and
rules can be scored against something known.

What makes the stream realistic enough to exercise every stage:

* English (about 70%) and French posts, from templates in
  ``listening/resources/demo/templates.yaml`` with place names, highways,
  hashtags and emoji filled in;
* X, Facebook, Instagram, YouTube, Reddit, news, TikTok and blogs in proportions
  typical of a police service's mentions;
* an hour-of-day rhythm (quiet nights, a lunch and evening peak, in Eastern time)
  and a weekly one (weekends quieter);
* retweet-style copies (``RT @author: ...``) of recent X posts;
* authors with very different reach: a few official and media accounts with
  hundreds of thousands of followers, a long tail of small accounts;
* four injected incidents (a Highway 401 closure, a phone scam impersonating
  officers, a contentious arrest video, a wildfire evacuation), each with an
  onset, a fast rise and a slow decay. The scam is pushed by brand-new accounts
  posting near-identical texts, as coordinated campaigns are;
* posts the organisation should answer (questions to it, complaints about its
  service, false claims about it, threats, safety reports) among look-alikes that
  need no answer, and institutional accounts (its own, partner agencies, news
  outlets) posting in their own voice. :func:`needs_reply` gives the truth.

Everything is vectorised with numpy so ``n_mentions=1_000_000`` takes seconds.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import OptionError, check_option
from .schema import coerce

__all__ = ["generate", "labelled_mentions", "needs_reply", "write_demo_files", "DEMO_START",
           "LOCAL_TZ", "REPLY_REASONS"]

# The demo period ends on the day this project started; four weeks is the window a
# unit reviews in a monthly report.
DEMO_START = "2026-10-26"
LOCAL_TZ = "America/Toronto"
# Relative volume by local hour 0..23 (quiet 1-5 a.m., peaks at noon and 8 p.m.),
# shaped after typical public-safety social traffic.
HOUR_PROFILE = np.array([0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.4, 0.75, 1.0, 1.1, 1.15, 1.2,
                         1.3, 1.2, 1.15, 1.15, 1.2, 1.3, 1.4, 1.5, 1.55, 1.4, 1.0, 0.6])
# Monday..Sunday: weekends about 30% quieter.
DOW_PROFILE = np.array([1.05, 1.1, 1.1, 1.05, 1.0, 0.72, 0.68])
PLATFORM_SHARES = {"x": 0.42, "facebook": 0.2, "instagram": 0.08, "reddit": 0.08,
                   "news": 0.08, "youtube": 0.05, "tiktok": 0.04, "blog": 0.03, "linkedin": 0.02}
FRENCH_SHARE = 0.3
RETWEET_SHARE = 0.15  # of X posts that are copies of an earlier post
OFFICIAL_ACCOUNTS = {
    "@OPP_News": 420_000, "@OPP_ER": 95_000, "@OPP_CR": 88_000, "@OPP_WR": 76_000,
    "@OPP_NER": 41_000, "@OPP_NWR": 36_000, "@OPP_HSD": 120_000, "@PPO_Nouvelles": 24_000,
}
MEDIA_ACCOUNTS = {
    "@CBCToronto": 1_100_000, "@CTVNews": 2_300_000, "@globalnews": 1_900_000,
    "@RadioCanadaON": 65_000, "@KingstonWhigStd": 38_000, "@kenoraonline": 21_000,
}
# Agencies the unit works with: traffic, fraud reporting, fire, a city.
PARTNER_ACCOUNTS = {
    "@Ontario511": 310_000, "@CAFC_ACFC": 52_000, "@ONforestfires": 61_000,
    "@CityofKingston": 47_000,
}
# Why a post needs a reply, as needs_reply reports it (templates.yaml's `reply`).
REPLY_REASONS = ("question", "complaint", "misinformation", "threat", "safety")
FIRST = ["alex", "sam", "marie", "jp", "chris", "nadia", "dave", "sophie", "mike", "isabelle",
         "tom", "julie", "raj", "lucie", "kevin", "amelie", "jen", "marc", "ashley", "eric"]
LAST = ["smith", "tremblay", "gagnon", "brown", "roy", "wilson", "cote", "martin", "singh",
        "lee", "bouchard", "taylor", "leblanc", "campbell", "pelletier"]


@lru_cache(maxsize=1)
def _templates() -> dict:
    text = resources.files("listening").joinpath("resources/demo/templates.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _pool(entries: list) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(texts, reply reasons or None, weights) of template entries (strings or dicts)."""
    texts = [e if isinstance(e, str) else e["text"] for e in entries]
    reply = np.array([None if isinstance(e, str) else e.get("reply") for e in entries],
                     dtype=object)
    weight = np.array([1.0 if isinstance(e, str) else float(e.get("weight", 1.0))
                       for e in entries])
    return texts, reply, weight


def _fill(templates: list[str], which: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Fill the slots of ``templates[which[i]]`` with random fillers, row by row."""
    fillers = {k: np.asarray(v, dtype=object) for k, v in _templates()["fillers"].items()}
    n = len(which)
    picks = {k: v[rng.integers(0, len(v), n)] for k, v in fillers.items()}
    out = []
    for i, t in enumerate(which):
        template = templates[t]
        out.append(template.format(**{k: picks[k][i] for k in fillers}) if "{" in template
                   else template)
    return out


def _authors(n_authors: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    handles = [f"@{FIRST[i % len(FIRST)]}{LAST[(i // len(FIRST)) % len(LAST)]}{i}"
               for i in range(n_authors)]
    # Followers are log-normal: median about 150, a tail into the tens of thousands.
    followers = np.round(rng.lognormal(mean=5.0, sigma=1.6, size=n_authors)).astype(np.int64)
    special = {**OFFICIAL_ACCOUNTS, **MEDIA_ACCOUNTS, **PARTNER_ACCOUNTS}
    handles = np.asarray(list(special) + handles, dtype=object)
    followers = np.concatenate([np.array(list(special.values())), followers])
    return handles, followers


def _background_times(n: int, start: pd.Timestamp, days: int,
                      rng: np.random.Generator) -> np.ndarray:
    hours = pd.date_range(start, periods=days * 24, freq="h", tz="UTC").as_unit("ns")
    local = hours.tz_convert(LOCAL_TZ)
    weight = HOUR_PROFILE[local.hour] * DOW_PROFILE[local.day_of_week]
    counts = rng.multinomial(n, weight / weight.sum())
    base = np.repeat(hours.asi8, counts)
    return base + rng.integers(0, 3_600_000_000_000, n)


def _incident_rows(name: str, spec: dict, n_total: int, start: pd.Timestamp, days: int,
                   rng: np.random.Generator) -> tuple[dict, pd.DataFrame] | None:
    n = int(round(spec["share"] * n_total))
    if n == 0:
        return None
    day = start.tz_convert(LOCAL_TZ).normalize() + pd.Timedelta(days=int(spec["onset_fraction"] * days))
    onset = (day + pd.Timedelta(hours=spec["onset_hour_local"])).tz_convert("UTC")
    period_end = start + pd.Timedelta(days=days)
    if onset >= period_end - pd.Timedelta(hours=2):
        onset = start + (period_end - start) * spec["onset_fraction"]
        onset = onset.floor("h")
    # A burst then a slow decay: exponential delays with a mean of a fifth of the
    # incident's duration, so the first hours carry a visible share, as in real
    # incidents where the first reports cluster.
    delay = rng.exponential(spec["duration_hours"] / 5, n) * 3.6e12
    times = onset.value + delay.astype(np.int64)
    times = times[times < period_end.value]
    n = len(times)
    french = rng.random(n) < FRENCH_SHARE
    texts = np.empty(n, dtype=object)
    reply = np.full(n, None, dtype=object)
    for lang, mask in (("en", ~french), ("fr", french)):
        pool, reasons, _ = _pool(spec[lang])
        which = rng.integers(0, len(pool), int(mask.sum()))
        texts[mask] = _fill(pool, which, rng)
        reply[mask] = reasons[which]
    platforms = np.asarray(spec["platforms"], dtype=object)[rng.integers(0, len(spec["platforms"]), n)]
    rows = pd.DataFrame({"ts": times, "text": texts, "language": np.where(french, "fr", "en"),
                         "platform": platforms, "incident": name,
                         "new_author": bool(spec.get("new_authors", False)), "reply": reply})
    info = {"incident": name, "label": spec["label"], "onset": onset,
            "end": onset + pd.Timedelta(hours=spec["duration_hours"]),
            "language": "en+fr", "platforms": list(spec["platforms"]), "terms": list(spec["terms"]),
            "expected_sentiment": spec["expected_sentiment"], "n_mentions": n}
    return info, rows


def generate(n_mentions: int = 20_000, days: int = 28, seed: int = 0, *,
             start: str | pd.Timestamp = DEMO_START,
             incidents: str | list[str] | None = "default") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a seeded demo mention stream and the truth about its incidents.

    Parameters
    ----------
    n_mentions : int
        Approximate number of mentions (exact unless an incident runs past the
        end of the period, whose tail is then cut).
    days : int
        Length of the period, starting at ``start`` (midnight Eastern time).
    seed : int
        Seed of the random generator: the same arguments give the same frame.
    incidents : "default", list of names, or None
        Which incidents to inject (see ``templates.yaml``); ``None`` gives a
        quiet stream for measuring false alerts.

    Returns
    -------
    frame : DataFrame
        A valid mention frame sorted by time, ``source`` = ``demo#<row>``.
    truth : DataFrame
        One row per incident: ``incident, label, onset, end, language, platforms,
        terms, expected_sentiment, n_mentions, mention_ids``.

    Examples
    --------
    >>> frame, truth = generate(n_mentions=2_000, days=7, seed=1)
    >>> sorted(truth["incident"])[:2]
    ['arrest_video', 'highway_401_closure']
    >>> bool(frame["language"].isin(["en", "fr"]).all())
    True
    """
    frame, truth, _ = _generate(n_mentions, days, seed, start=start, incidents=incidents)
    return frame, truth


def needs_reply(n_mentions: int = 20_000, days: int = 28, seed: int = 0, *,
                start: str | pd.Timestamp = DEMO_START,
                incidents: str | list[str] | None = "default") -> pd.DataFrame:
    """Which posts of the demo stream need a reply from the organisation, and why.

    The truth behind the response queue's benchmark: for the stream that
    :func:`generate` makes with the same arguments, the posts written (by their
    template in ``templates.yaml``) as a question to the organisation, a complaint
    about its service, misinformation about it, a threat or a safety report,
    when posted by a member of the public. News outlets, official and partner
    accounts, the organisation's own accounts and plain retweets never need one;
    nor does chatter, even when it has a "?" or the word "scam".

    Returns
    -------
    DataFrame
        ``mention_id`` and ``reason`` (one of :data:`REPLY_REASONS`), in stream order.

    Examples
    --------
    >>> truth = needs_reply(n_mentions=2_000, days=7, seed=1)
    >>> sorted(truth["reason"].unique())
    ['complaint', 'misinformation', 'question', 'safety', 'threat']
    >>> frame, _ = generate(n_mentions=2_000, days=7, seed=1)
    >>> bool(truth["mention_id"].isin(frame["mention_id"]).all())
    True
    """
    frame, _, reply = _generate(n_mentions, days, seed, start=start, incidents=incidents)
    keep = pd.notna(reply)
    return pd.DataFrame({"mention_id": frame["mention_id"][keep].to_numpy(),
                         "reason": pd.array(reply[keep].tolist(), dtype="string")})


def _generate(n_mentions: int, days: int, seed: int, *, start, incidents):
    """``generate``'s work, plus each row's reply reason (None: no reply needed)."""
    if n_mentions < 1 or days < 1:
        raise OptionError(f"n_mentions and days must be at least 1, got {n_mentions} and {days}",
                          name="n_mentions", value=(n_mentions, days))
    rng = np.random.default_rng(seed)
    spec = _templates()
    start_ts = pd.Timestamp(start)
    start_ts = (start_ts.tz_localize(LOCAL_TZ) if start_ts.tzinfo is None else start_ts).tz_convert("UTC")
    names = (list(spec["incidents"]) if incidents == "default"
             else [] if incidents is None else list(incidents))
    for name in names:
        check_option("incidents", name, sorted(spec["incidents"]),
                     hint="unknown incident; or pass 'default' or None")

    infos, parts = [], []
    for name in names:
        made = _incident_rows(name, spec["incidents"][name], n_mentions, start_ts, days, rng)
        if made:
            infos.append(made[0])
            parts.append(made[1])
    n_background = max(n_mentions - sum(len(p) for p in parts), 0)
    french = rng.random(n_background) < FRENCH_SHARE
    texts = np.empty(n_background, dtype=object)
    reply = np.full(n_background, None, dtype=object)
    for lang, mask in (("en", ~french), ("fr", french)):
        pool, reasons, weight = _pool(spec["background"][lang] + spec["conversation"][lang])
        which = rng.choice(len(pool), int(mask.sum()), p=weight / weight.sum())
        texts[mask] = _fill(pool, which, rng)
        reply[mask] = reasons[which]
    shares = np.array(list(PLATFORM_SHARES.values()))
    background = pd.DataFrame({
        "ts": _background_times(n_background, start_ts, days, rng), "text": texts,
        "language": np.where(french, "fr", "en"),
        "platform": np.asarray(list(PLATFORM_SHARES), dtype=object)[
            rng.choice(len(shares), n_background, p=shares / shares.sum())],
        "incident": None, "new_author": False, "reply": reply})
    rows = pd.concat([background, *parts], ignore_index=True).sort_values("ts", kind="stable")
    rows = rows.reset_index(drop=True)
    n = len(rows)

    handles, followers = _authors(max(200, n // 8), rng)
    n_special = len(OFFICIAL_ACCOUNTS) + len(MEDIA_ACCOUNTS) + len(PARTNER_ACCOUNTS)
    # Zipf-like activity: a few accounts post a lot, most post once or twice.
    rank = np.minimum(rng.zipf(1.6, n) - 1, len(handles) - 1 - n_special) + n_special
    author_idx = np.where(rng.random(n) < 0.03, rng.integers(0, n_special, n), rank)
    author = handles[author_idx].copy()
    reach = followers[author_idx].copy()
    fresh = rows["new_author"].to_numpy()
    author[fresh] = [f"@user{x}" for x in rng.integers(10**7, 10**8, int(fresh.sum()))]
    reach[fresh] = rng.integers(0, 40, int(fresh.sum()))
    news = rows["platform"].to_numpy() == "news"
    outlets = np.asarray(list(MEDIA_ACCOUNTS), dtype=object)
    author[news] = outlets[rng.integers(0, len(outlets), int(news.sum()))]
    reach[news] = np.asarray(list(MEDIA_ACCOUNTS.values()))[
        [list(MEDIA_ACCOUNTS).index(a) for a in author[news]]] if news.any() else reach[news]

    # Institutions post in their own voice (background posts; an incident post keeps
    # its text, which the truth's terms rely on) and never need a reply.
    text = rows["text"].to_numpy(dtype=object).copy()
    reply = rows["reply"].to_numpy(dtype=object).copy()
    language = rows["language"].to_numpy(dtype=object)
    everyday = pd.isna(rows["incident"]).to_numpy()
    for kind, accounts in (("official", OFFICIAL_ACCOUNTS), ("partner", PARTNER_ACCOUNTS),
                           ("news", MEDIA_ACCOUNTS)):
        theirs = np.isin(author, list(accounts))
        reply[theirs] = None
        for lang in ("en", "fr"):
            rewrite = np.flatnonzero(theirs & everyday & (language == lang))
            pool = spec["institutions"][kind][lang]
            text[rewrite] = _fill(pool, rng.integers(0, len(pool), len(rewrite)), rng)

    # Retweets: an X post copies a recent X post, with the usual prefix.
    platform = rows["platform"].to_numpy(dtype=object)
    x_rows = np.flatnonzero(platform == "x")
    is_rt = np.zeros(n, dtype=bool)
    if len(x_rows) > 1:
        pick = x_rows[1:][rng.random(len(x_rows) - 1) < RETWEET_SHARE]
        pos = np.searchsorted(x_rows, pick)
        orig = x_rows[np.maximum(pos - rng.integers(1, 30, len(pick)), 0)]
        orig = np.where(orig == pick, x_rows[0], orig)
        ok = ~np.char.startswith(text[orig].astype(str), "RT @")
        pick, orig = pick[ok], orig[ok]
        text[pick] = ["RT " + a + ": " + t for a, t in zip(author[orig], text[orig])]
        is_rt[pick] = True
    reply[is_rt] = None   # a reply goes to the original post

    engagement = rng.beta(1.2, 60, n)
    likes = np.round(reach * engagement).astype(np.int64)
    prefix = {"x": "https://x.com/{a}/status/{i}", "facebook": "https://www.facebook.com/{a}/posts/{i}",
              "instagram": "https://www.instagram.com/p/{i}", "reddit": "https://www.reddit.com/r/ontario/comments/{i}",
              "news": "https://news.example.ca/story/{i}", "youtube": "https://www.youtube.com/watch?v={i}",
              "tiktok": "https://www.tiktok.com/@{a}/video/{i}", "blog": "https://blog.example.ca/{i}",
              "linkedin": "https://www.linkedin.com/feed/update/{i}"}
    ids = (1_800_000_000_000_000_000 + seed * 10_000_000 + np.arange(n)).astype(str)
    urls = [prefix[p].format(a=a.lstrip("@"), i=i) for p, a, i in zip(platform, author, ids)]
    frame = pd.DataFrame({
        "mention_id": ids, "timestamp": pd.to_datetime(rows["ts"].to_numpy(), utc=True),
        "platform": platform, "author": author, "text": text, "url": urls,
        "language": rows["language"].to_numpy(), "likes": likes,
        "shares": np.where(is_rt, 0, np.round(likes * rng.beta(1, 6, n))).astype(np.int64),
        "comments": np.round(likes * rng.beta(1, 10, n)).astype(np.int64),
        "reach": reach, "country": "CA", "source": [f"demo#{i}" for i in range(n)]})
    frame = coerce(frame)

    incident = rows["incident"].to_numpy()
    truth = pd.DataFrame(infos, columns=["incident", "label", "onset", "end", "language", "platforms",
                                         "terms", "expected_sentiment", "n_mentions"])
    truth["mention_ids"] = [frame["mention_id"][incident == name].tolist() for name in truth["incident"]]
    return frame, truth, reply


def labelled_mentions(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A demo labelling sheet: mentions with the sentiment a reader gives them.

    A stand-in for the few hundred mentions an analyst labels to retrain the
    sentiment model (``ls.train_sentiment``, ``ls.evaluate_sentiment``). Texts come
    from the demo's everyday-post templates (``templates.yaml``, each with its
    ``tone``), filled in as :func:`generate` fills them, English and French in the
    demo's proportions.

    Returns
    -------
    DataFrame with ``text``, ``language``, ``label`` (negative / neutral /
    positive) and ``template`` (``en-3``: which template a post was filled from).
    Posts of one template differ only in place names and emoji, so evaluate with
    ``groups=sheet["template"]``: a model that has seen a template would
    otherwise be tested on its copies.

    Examples
    --------
    >>> sheet = labelled_mentions(n=60, seed=1)
    >>> sorted(sheet["label"].unique())
    ['negative', 'neutral', 'positive']
    >>> sheet.columns.tolist()
    ['text', 'language', 'label', 'template']
    """
    if n < 1:
        raise OptionError(f"n must be at least 1, got {n}", name="n", value=n)
    rng = np.random.default_rng(seed)
    background = _templates()["background"]
    french = rng.random(n) < FRENCH_SHARE
    parts = []
    for lang, mask in (("en", ~french), ("fr", french)):
        pool = background[lang]
        which = rng.integers(0, len(pool), int(mask.sum()))
        parts.append(pd.DataFrame({
            "text": _fill([t["text"] for t in pool], which, rng), "language": lang,
            "label": [pool[i]["tone"] for i in which],
            "template": [f"{lang}-{i}" for i in which]}, index=np.flatnonzero(mask)))
    return pd.concat(parts).sort_index().reset_index(drop=True)


def write_demo_files(frame: pd.DataFrame, folder: str | Path) -> list[Path]:
    """Write a demo frame as the exports a unit really receives, so ``load`` is exercised.

    * X posts as Twitter API v2 pages written by twarc2 (``x_twarc2.jsonl``, 100 tweets
      a line, authors in ``includes.users``);
    * Reddit posts as Pushshift comment NDJSON (``reddit_pushshift.ndjson``, epoch seconds);
    * everything else as a Meltwater CSV export (``meltwater.csv``, dates as
      ``dd-Mon-yyyy hh:mmAM`` in Eastern time: load with ``tz="America/Toronto"``).

    Returns the paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    x = frame[frame["platform"] == "x"]
    path = folder / "x_twarc2.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for lo in range(0, len(x), 100):
            page = x.iloc[lo:lo + 100]
            users = {a: _user_id(a) for a in page["author"].unique()}
            data = [{"id": r.mention_id, "text": r.text, "author_id": users[r.author],
                     "created_at": r.timestamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                     "lang": r.language,
                     "public_metrics": {"like_count": int(r.likes), "retweet_count": int(r.shares),
                                        "reply_count": int(r.comments), "quote_count": 0}}
                    for r in page.itertuples()]
            includes = {"users": [{"id": uid, "username": a.lstrip("@"), "name": a.lstrip("@"),
                                   "public_metrics": {"followers_count": int(
                                       page.loc[page["author"] == a, "reach"].iloc[0])}}
                                  for a, uid in users.items()]}
            fh.write(json.dumps({"data": data, "includes": includes,
                                 "meta": {"result_count": len(data)}}, ensure_ascii=False) + "\n")
    written.append(path)

    reddit = frame[frame["platform"] == "reddit"]
    path = folder / "reddit_pushshift.ndjson"
    with open(path, "w", encoding="utf-8") as fh:
        for r in reddit.itertuples():
            fh.write(json.dumps({"id": r.mention_id, "name": f"t1_{r.mention_id}",
                                 "author": r.author.lstrip("@"), "body": r.text,
                                 "subreddit": "ontario", "created_utc": int(r.timestamp.timestamp()),
                                 "score": int(r.likes), "permalink": r.url.replace(
                                     "https://www.reddit.com", "")}, ensure_ascii=False) + "\n")
    written.append(path)

    rest = frame[~frame["platform"].isin(["x", "reddit"])]
    local = rest["timestamp"].dt.tz_convert(LOCAL_TZ)
    meltwater = pd.DataFrame({
        "Date": local.dt.strftime("%d-%b-%Y %I:%M%p"), "Headline": "",
        "URL": rest["url"], "Opening Text": "", "Hit Sentence": rest["text"],
        "Source": rest["platform"].astype(str).map(_MELTWATER_SOURCE),
        "Influencer": rest["author"], "Country": "Canada",
        "Language": rest["language"].astype(str).map({"en": "English", "fr": "French"}),
        "Reach": rest["reach"], "Engagement": (rest["likes"] + rest["shares"] + rest["comments"]),
        "Sentiment": "Not Rated", "Document Id": rest["mention_id"]})
    path = folder / "meltwater.csv"
    meltwater.to_csv(path, index=False, encoding="utf-8")
    written.append(path)
    return written


def _user_id(handle: str) -> str:
    """A stable numeric user id for a handle (the same in every run, unlike ``hash``)."""
    return str(int.from_bytes(hashlib.sha256(handle.encode("utf-8")).digest()[:8], "big")
               % 10**12)


_MELTWATER_SOURCE = {"facebook": "Facebook", "instagram": "Instagram", "youtube": "YouTube",
                     "tiktok": "TikTok", "news": "Online News", "blog": "Blogs",
                     "linkedin": "LinkedIn", "forum": "Forums", "other": "Other"}
