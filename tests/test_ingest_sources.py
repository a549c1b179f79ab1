"""Export shapes of real tools (issue 14): one fixture per shape, written by hand.

Every fixture in tests/fixtures/ used here follows the documented shape of the tool
that writes it (column names, nesting, date formats); the records are made up.
Each test checks author, time (the expected UTC instant is worked out by hand from
the raw value in the comment next to it), text and platform.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from listening.cli import main
from listening.ingest import load, load_to_parquet

FIXTURES = Path(__file__).parent / "fixtures"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "export_samples" \
    / "twitter_api_v2_twarc"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="shared export samples not present")
UTC = pd.Timestamp


def check(report) -> None:
    assert report.read == report.loaded + report.rejected + report.duplicates
    for f in report.files:
        assert f.read == f.loaded + f.rejected + f.duplicates
    assert report.not_mentions == sum(f.not_mentions for f in report.files)


def row(frame, mention_id):
    return frame.set_index("mention_id").loc[mention_id]


def load_fixture(name: str, mapping: str, **options):
    """Load a fixture, check the accounting and that ``mapping`` recognised it."""
    frame, report = load(FIXTURES / name, **options)
    check(report)
    assert report.files[0].mapping == mapping
    return frame, report


# --------------------------------------------------------------------------- 1 Talkwalker

def test_talkwalker_two_digit_years_day_first(tmp_path):
    frame, report = load_fixture("talkwalker_export_ddmmyy.csv", "talkwalker",
                                 tz="America/Toronto")
    assert report.rejected == 0
    # "22/09/17 11:00:24": 22 > 12 says day first; 2017-09-22 11:00:24 EDT (UTC-4)
    assert frame["timestamp"].tolist() == [
        UTC("2017-09-22T15:00:24Z"),
        UTC("2026-11-05T13:30:00Z"),   # 05/11/26 08:30:00 EST (UTC-5): DST ended 2026-11-01
        UTC("2026-03-01T04:59:59Z")]   # 28/02/26 23:59:59 EST -> the next day in UTC
    assert frame["author"].tolist() == ["ygk_driver", "Example News", "night_owl"]
    assert frame["platform"].astype(str).tolist() == ["x", "news", "forum"]
    assert frame["text"].iloc[1] == ("Police closed both directions of Highway 401 at exit 611 "
                                     "early Thursday")
    # the same export as XLSX (Talkwalker's other format), dates as text cells
    import openpyxl

    raw = pd.read_csv(FIXTURES / "talkwalker_export_ddmmyy.csv", dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    book.active.append(list(raw.columns))
    for values in raw.itertuples(index=False):
        book.active.append(list(values))
    book.save(tmp_path / "talkwalker.xlsx")
    again, report = load(tmp_path / "talkwalker.xlsx", tz="America/Toronto")
    assert report.loaded == 3
    assert again["timestamp"].tolist() == frame["timestamp"].tolist()


def test_two_digit_year_forms_and_century_rule():
    from listening.ingest.timestamps import parse_timestamps

    now = UTC("2026-11-23T12:00:00Z")
    stamps, why = parse_timestamps(pd.Series(["22-09-17 11:00:24", "17/09/22", "17.09.2022 08:00",
                                              "09/17/22 11:00 PM", "17-09-2022"]),
                                   now=now, date_order="dmy")
    assert stamps.iloc[0] == UTC("2022-09-17T11:00:24Z")   # yy-mm-dd: year first, ISO order
    assert stamps.iloc[1] == UTC("2022-09-17T00:00:00Z")
    assert stamps.iloc[2] == UTC("2022-09-17T08:00:00Z")
    assert "not a valid date when read as day/month/year (date_order='dmy')" in why.iloc[3]
    assert stamps.iloc[4] == UTC("2022-09-17T00:00:00Z")
    # the century rule: 00-68 -> 2000-2068, 69-99 -> 1969-1999 (POSIX %y)
    stamps, why = parse_timestamps(pd.Series(["01/02/00", "01/02/68", "01/02/69", "01/02/99"]),
                                   now=now, date_order="dmy")
    assert stamps.iloc[0] == UTC("2000-02-01T00:00:00Z")
    assert "future" in why.iloc[1]                          # 2068
    assert stamps.iloc[2] == UTC("1969-02-01T00:00:00Z")
    assert stamps.iloc[3] == UTC("1999-02-01T00:00:00Z")


# --------------------------------------------------------------------------- 2 zones

def test_crowdtangle_brazilian_dashboard_zone():
    frame, report = load_fixture("crowdtangle_export_brt.csv", "crowdtangle")
    assert report.rejected == 0
    # "2021-07-05 18:02:45 BRT": Brasília time is UTC-3
    assert frame["timestamp"].tolist() == [UTC("2021-07-05T21:02:45Z"),
                                           UTC("2021-07-06T12:15:00Z")]
    assert frame["author"].tolist() == ["prfparana", "transitocwb"]
    assert frame["text"].iloc[1] == "Fila de 8 km na BR-116, sentido São Paulo"
    assert set(frame["platform"].astype(str)) == {"facebook"}


def test_ambiguous_abbreviation_is_rejected_until_tz_names_says(tmp_path):
    frame, report = load(FIXTURES / "crowdtangle_export_ist.csv")
    assert report.loaded == 0
    reason = report.rejects["reason"].iloc[0]
    assert "IST, which is ambiguous (India +05:30, Ireland +01:00 or Israel +02:00)" in reason
    assert "tz_names={'IST'" in reason
    frame, report = load(FIXTURES / "crowdtangle_export_ist.csv", tz_names={"IST": "Asia/Kolkata"})
    assert frame["timestamp"].tolist() == [UTC("2021-07-05T12:32:45Z")]  # 18:02:45 - 5:30
    assert frame["author"].tolist() == ["punetrafficpolice"]
    frame, _ = load(FIXTURES / "crowdtangle_export_ist.csv", tz_names={"ist": "+05:30"})
    assert frame["timestamp"].tolist() == [UTC("2021-07-05T12:32:45Z")]
    # tz_names also overrides a shipped reading: CST read as China Standard Time
    path = tmp_path / "cst.csv"
    path.write_text("id,created_at,text\n1,2021-07-05 18:00:00 CST,hello\n")
    frame, _ = load(path)
    assert frame["timestamp"].iloc[0] == UTC("2021-07-06T00:00:00Z")          # US Central
    frame, _ = load(path, tz_names={"CST": "Asia/Shanghai"})
    assert frame["timestamp"].iloc[0] == UTC("2021-07-05T10:00:00Z")          # UTC+8
    path.write_text("id,created_at,text\n1,2021-07-05 18:00:00 QQT,hello\n")
    _, report = load(path)
    assert "QQT, which this loader does not know" in report.rejects["reason"].iloc[0]


@pytest.mark.parametrize(("zone", "utc"), [
    ("ART", "21:00"), ("CLT", "22:00"), ("COT", "23:00"), ("PET", "23:00"), ("JST", "09:00"),
    ("KST", "09:00"), ("AEST", "08:00"), ("EAT", "15:00"), ("NPT", "12:15"), ("CEST", "16:00")])
def test_worldwide_abbreviations(zone, utc):
    from listening.ingest.timestamps import parse_timestamps

    stamps, why = parse_timestamps(pd.Series([f"2021-07-05 18:00:00 {zone}"]),
                                   now=UTC("2026-11-23T12:00:00Z"))
    assert why.iloc[0] is None and stamps.iloc[0] == UTC(f"2021-07-05T{utc}:00Z")


# --------------------------------------------------------------------------- 3 date order

def test_date_order_in_load_mappings_and_cli(tmp_path, monkeypatch):
    path = tmp_path / "ambiguous.csv"
    path.write_text("id,created_at,author,text\n1,03/04/2026 09:00,@a,first\n"
                    "2,05/06/2026 10:00,@b,second\n")
    _, report = load(path)
    assert report.rejected == 2 and report.rejects["reason"].str.contains("date_order='dmy'").all()
    frame, _ = load(path, date_order="dmy")
    assert frame["timestamp"].tolist() == [UTC("2026-04-03T09:00:00Z"), UTC("2026-06-05T10:00:00Z")]
    frame, _ = load(path, date_order="mdy")
    assert frame["timestamp"].tolist() == [UTC("2026-03-04T09:00:00Z"), UTC("2026-05-06T10:00:00Z")]
    # a mapping can say its order once; the load argument still wins
    (tmp_path / "unit.yaml").write_text(
        "name: unit\ndate_order: mdy\nfields:\n  timestamp: created_at\n  text: text\n"
        "  author: author\n")
    frame, _ = load(path, mapping=tmp_path / "unit.yaml")
    assert frame["timestamp"].iloc[0] == UTC("2026-03-04T09:00:00Z")
    frame, _ = load(path, mapping=tmp_path / "unit.yaml", date_order="dmy")
    assert frame["timestamp"].iloc[0] == UTC("2026-04-03T09:00:00Z")
    from listening.errors import OptionError

    with pytest.raises(OptionError, match="date_order='ymd' is not accepted"):
        load(path, mapping={"fields": {"timestamp": "created_at", "text": "text"},
                            "date_order": "ymd"})
    # the CLI says it once too
    monkeypatch.setenv("LISTENING_STORE", str(tmp_path / "store.duckdb"))
    assert main(["ingest", str(path), "--date-order", "dmy"]) == 0
    import listening as ls

    with ls.open_store(read_only=True) as store:
        assert sorted(store.mentions()["timestamp"]) == [UTC("2026-04-03T09:00:00Z"),
                                                         UTC("2026-06-05T10:00:00Z")]


# --------------------------------------------------------------------------- 4 twarc2 stream

def test_twarc2_stream_lines_and_cut_off_last_line():
    frame, report = load_fixture("twarc2_stream.jsonl", "twitter_v2")
    assert (report.read, report.loaded, report.rejected) == (4, 3, 1)
    reject = report.rejects.iloc[0]
    assert reject["line"] == 4 and "cut short" in reject["reason"]
    first = row(frame, "1866000000000000001")
    assert first["author"] == "ygk_driver"                 # from includes.users
    assert first["timestamp"] == UTC("2026-11-05T14:05:12Z")
    assert first["text"] == "Collision on Hwy 401 WB at exit 611 & lanes blocked"  # &amp;
    assert first["url"] == "https://x.com/ygk_driver/status/1866000000000000001"
    assert row(frame, "1866000000000000002")["language"] == "fr"
    assert set(frame["platform"].astype(str)) == {"x"}


@needs_real
def test_real_twarc2_pages_still_load_whole_and_streamed(tmp_path):
    _, report = load(REAL / "brexit.jsonl")
    assert report.loaded == 100 and report.rejected == 0
    # every line of a page file as its own stream line: the same tweets
    lines = []
    for line in (REAL / "two_tweets.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        lines += [json.dumps({"data": tweet, "includes": page.get("includes", {}),
                              "matching_rules": [{"id": "1", "tag": "t"}]})
                  for tweet in page["data"]]
    (tmp_path / "stream.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    paged, _ = load(REAL / "two_tweets.jsonl")
    streamed, _ = load(tmp_path / "stream.jsonl")
    columns = ["mention_id", "author", "timestamp", "text"]
    assert streamed[columns].equals(paged[columns])


# --------------------------------------------------------------------------- 5 v1.1, snscrape

def test_x_api_v1_tweets(tmp_path):
    frame, _ = load_fixture("twitter_v1_tweets.jsonl", "twitter_v1")
    first = row(frame, "1864000000000000001")   # the id keeps all 19 digits
    assert first["author"] == "OPP_ER"
    assert first["timestamp"] == UTC("2026-11-05T14:05:12Z")   # "Thu Nov 05 14:05:12 +0000 2026"
    assert first["text"] == ("Lane restrictions on Hwy 401 EB at Kingston & area until 3pm. "
                             "Expect delays > 30 min")
    assert (first["likes"], first["shares"], first["reach"], first["country"]) == \
        (9, 4, 31000, "CA")
    assert first["url"] == "https://x.com/OPP_ER/status/1864000000000000001"
    streamed = row(frame, "1864000000000000002")
    assert streamed["text"].endswith("Thank you for your patience.")  # extended_tweet, not cut
    retweet = row(frame, "1864000000000000003")
    assert retweet["author"] == "kingston_res"
    assert retweet["text"] == ("RT @OPP_ER: Lane restrictions on Hwy 401 EB at Kingston & area "
                               "until 3pm. Expect delays > 30 min")
    assert set(frame["platform"].astype(str)) == {"x"}
    # statuses/user_timeline returns a JSON array of the same objects
    array = "[" + ",".join((FIXTURES / "twitter_v1_tweets.jsonl").read_text().splitlines()) + "]"
    (tmp_path / "timeline.json").write_text(array)
    again, _ = load(tmp_path / "timeline.json")
    assert again[["mention_id", "text", "timestamp"]].equals(frame[["mention_id", "text",
                                                                    "timestamp"]])


def test_snscrape_jsonl():
    frame, _ = load_fixture("snscrape_tweets.jsonl", "snscrape")
    first = row(frame, "1865000000000000001")
    assert first["author"] == "ygk_news"
    assert first["timestamp"] == UTC("2026-11-05T16:00:00Z")    # "2026-11-05T16:00:00+00:00"
    assert first["text"] == ("Police say the 401 eastbound will reopen by 6pm & the detour "
                             "stays until then")
    assert (first["likes"], first["shares"], first["comments"], first["reach"]) == (20, 5, 2, 4500)
    old = row(frame, "1463077670816817200")                       # snscrape < 0.6: "content"
    assert old["text"] == "Bike lane on Princess St blocked by snow again"
    assert old["timestamp"] == UTC("2021-11-23T09:31:14Z")
    retweet = row(frame, "1865000000000000002")
    assert retweet["author"] == "ygk_mom"
    assert retweet["text"] == ("RT @ygk_news: Police say the 401 eastbound will reopen by 6pm & "
                               "the detour stays until then")
    assert set(frame["platform"].astype(str)) == {"x"}


# --------------------------------------------------------------------------- 6 Reddit thread

def test_reddit_thread_walks_replies_and_counts_more_stubs():
    frame, report = load_fixture("reddit_thread.json", "reddit")
    # the post, 6 comments at depths 0-3 ([deleted] is rejected) and 3 "more" stubs
    assert (report.read, report.loaded, report.rejected, report.not_mentions) == (7, 6, 1, 3)
    assert frame["mention_id"].tolist() == ["t3_1q2w3e", "t1_kc1", "t1_kc2", "t1_kc3", "t1_kc4",
                                            "t1_kc6"]
    deepest = row(frame, "t1_kc4")                  # a reply to a reply to a reply
    assert deepest["author"] == "ygk_driver" and deepest["text"] == "Thanks, taking Hwy 2."
    assert deepest["timestamp"] == UTC("2025-11-05T15:25:00Z")     # created_utc 1762356300
    assert row(frame, "t1_kc1")["text"] == "Yes, both directions > police on scene"  # &gt;
    post = row(frame, "t3_1q2w3e")
    assert post["text"].startswith("Highway 401 closed near Kingston?\n\nSaw police lights")
    assert post["url"] == ("https://www.reddit.com/r/kingston/comments/1q2w3e/"
                           "highway_401_closed_near_kingston/")
    assert set(frame["platform"].astype(str)) == {"reddit"}
    deleted = report.rejects.iloc[0]
    assert (deleted["record"], deleted["column"]) == (6, "body")
    stubs = report.notes[report.notes["action"].str.startswith("not a mention")]
    assert len(stubs) == 3
    assert stubs["action"].str.contains("3 comment").sum() == 1
    assert stubs["action"].str.contains("12 comment").sum() == 1
    assert stubs["action"].str.contains("continue this thread").sum() == 1
    text = str(report)
    assert "not_mentions" in text and "3 record(s) not a mention" in text
    assert "15 comment(s) exist, not in the file" in text


# --------------------------------------------------------------------------- 7 vendors

def test_crowdtangle_api_json_is_utc_whatever_tz_says():
    frame, _ = load_fixture("crowdtangle_api_posts.json", "crowdtangle_api",
                            tz="America/Sao_Paulo")
    first = row(frame, "1234567890_4455667788")
    # "date": "2021-07-05 21:02:45" is UTC (the API's documented zone) = 18:02:45 BRT
    assert first["timestamp"] == UTC("2021-07-05T21:02:45Z")
    assert (first["author"], first["likes"], first["shares"], first["comments"]) == \
        ("prfparana", 210, 45, 18)
    assert first["url"] == "https://www.facebook.com/prfparana/posts/4455667788"
    assert row(frame, "1234567890_4455667799")["text"] == "Foto: fila no km 110 da BR-116"
    assert frame["platform"].astype(str).tolist() == ["facebook", "facebook", "instagram"]
    assert set(frame["language"].astype(str)) == {"pt"}


def test_meltwater_current_export_without_headline_or_source():
    frame, report = load(FIXTURES / "meltwater_explore_export.csv", tz="America/Toronto")
    check(report)
    entry = report.files[0]
    assert (entry.mapping, entry.encoding, entry.delimiter) == \
        ("meltwater_explore", "utf-16-le", "\t")
    # Date "05-Nov-2026" + Time "09:12 AM" in Toronto, EST (UTC-5)
    assert frame["timestamp"].tolist() == [UTC("2026-11-05T14:12:00Z"), UTC("2026-11-05T15:30:00Z")]
    assert frame["author"].tolist() == ["@OPP_ER", "Marie Tremblay"]
    assert frame["text"].tolist() == [
        "Collision cleared on Hwy 401 EB at Kingston, all lanes open",
        "La circulation a repris sur l'autoroute 401 après l'accident de ce matin."]
    assert frame["platform"].astype(str).tolist() == ["x", "news"]
    assert frame["mention_id"].iloc[0] == "1762351920000_abcDEF123"
    first = frame.iloc[0]
    assert (first["likes"], first["shares"], first["comments"]) == (15, 3, 1)


def test_brandwatch_columns_named_after_x():
    frame, _ = load_fixture("brandwatch_x_export.csv", "brandwatch")
    post = row(frame, "1869000000000000001")
    assert post["author"] == "ygk_driver"
    assert post["timestamp"] == UTC("2026-11-05T14:05:12Z")
    assert post["text"] == "Stuck again on the 401 at exit 611 with no info from anyone"
    # X Likes, X Reposts, X Replies
    assert (post["likes"], post["shares"], post["comments"]) == (11, 4, 2)
    assert frame["platform"].astype(str).tolist() == ["x", "reddit"]


# --------------------------------------------------------------------------- 11 id scopes

def test_platform_ids_are_global_across_files(tmp_path):
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_bytes((FIXTURES / "twarc2_stream.jsonl").read_bytes())
    _, report = load([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    check(report)
    assert (report.loaded, report.duplicates) == (3, 3)  # the same tweets, by tweet id


def test_row_number_ids_are_scoped_even_in_a_source_mapping(tmp_path):
    header = "Post Created,Message,Page Name,URL\n"
    for name, text in (("a.csv", "one"), ("b.csv", "two")):
        (tmp_path / name).write_text(header + f"2026-11-05 08:30:00 EST,{text},p,1\n"
                                     f"2026-11-05 08:31:00 EST,{text} again,p,2\n")
    _, report = load(tmp_path, mapping={
        "fields": {"mention_id": "URL", "timestamp": "Post Created", "text": "Message"}})
    assert (report.loaded, report.duplicates) == (4, 0)
    assert "only the rows' numbers" in report.files[0].notes[-1]


# --------------------------------------------------------------------------- streaming

@pytest.mark.parametrize("name", ["twarc2_stream.jsonl", "twitter_v1_tweets.jsonl",
                                  "snscrape_tweets.jsonl", "talkwalker_export_ddmmyy.csv",
                                  "crowdtangle_export_brt.csv", "brandwatch_x_export.csv"])
def test_new_shapes_stream_as_they_load(tmp_path, name):
    whole, expected = load(FIXTURES / name, tz="America/Toronto")
    report = load_to_parquet(FIXTURES / name, tmp_path / "out", chunk_bytes=300,
                             tz="America/Toronto", progress=False)
    parts = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "out").glob("*.parquet"))],
                      ignore_index=True)
    columns = ["mention_id", "timestamp", "author", "text", "source"]
    assert parts[columns].astype(str).values.tolist() == whole[columns].astype(str).values.tolist()
    assert (report.read, report.loaded, report.rejected) == \
        (expected.read, expected.loaded, expected.rejected)
