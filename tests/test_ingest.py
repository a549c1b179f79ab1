"""Loaders: every source mapping, the public options, the report and the real samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import listening as ls
from listening.errors import MentionDataError, OptionError
from listening.ingest import LoadReport, load, register_mapping
from listening.ingest.mappings import _registry
from listening.schema import validate

FIXTURES = Path(__file__).parent / "fixtures"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "export_samples" \
    / "twitter_api_v2_twarc"


def check(report: LoadReport) -> None:
    assert report.read == report.loaded + report.rejected + report.duplicates
    for f in report.files:
        assert f.read == f.loaded + f.rejected + f.duplicates
    assert report.not_mentions == sum(f.not_mentions for f in report.files)
    assert len(report.rejects) == report.rejected
    assert list(report.rejects.columns) == ["source", "line", "column", "reason", "raw", "record"]
    assert list(report.notes.columns) == ["source", "line", "record", "column", "value", "action"]


@pytest.fixture(autouse=True)
def _clean_registry():
    before = dict(_registry)
    yield
    _registry.clear()
    _registry.update(before)


# --------------------------------------------------------------------------- sources

def test_twarc2_page_joins_authors_places_and_unescapes_text():
    frame, report = load(FIXTURES / "twarc2_page.jsonl")
    check(report)
    assert report.files[0].mapping == "twitter_v2"
    assert (report.read, report.loaded) == (3, 3)
    row = frame.set_index("mention_id").loc["1860000000000000001"]
    assert row["author"] == "OPP_News"
    assert row["text"] == "Highway 401 westbound closed at Kingston & traffic diverted #ONtraffic"
    assert (row["likes"], row["shares"], row["comments"], row["reach"]) == (40, 12, 3, 250000)
    assert row["url"] == "https://x.com/OPP_News/status/1860000000000000001"
    assert row["timestamp"] == pd.Timestamp("2026-11-01T14:05:00Z")
    assert row["source"] == "twarc2_page.jsonl#1"
    assert set(frame["platform"]) == {"x"}
    french = frame.set_index("mention_id").loc["1860000000000000003"]
    assert french["language"] == "fr"  # lang "und" in the source -> detected
    assert french["country"] == "CA"   # from includes.places
    # includes.tweets (the retweeted original) is context, not a match
    assert len(frame) == 3


def test_twarc2_flattened_tweets():
    frame, report = load(FIXTURES / "twarc2_flat.jsonl")
    check(report)
    assert frame["author"].tolist() == ["ygk_local", "sophie_qc", "lol_guy"]
    assert frame["language"].astype(str).tolist()[:2] == ["en", "fr"]
    assert frame["language"].astype(str).tolist()[2] == "und"  # "zxx" + emoji only
    assert frame["source"].tolist() == [f"twarc2_flat.jsonl#{k}" for k in (1, 2, 3)]
    assert frame["reach"].tolist() == [880, 4100, 3]


def test_twarc_csv_with_embedded_newline_keeps_line_numbers():
    frame, report = load(FIXTURES / "twarc_csv.csv")
    check(report)
    assert report.files[0].mapping == "twitter_v2"
    assert frame["source"].tolist() == ["twarc_csv.csv#2", "twarc_csv.csv#3"]
    assert frame["text"].iloc[1] == "@qew_watch stuck here for 40 minutes\nno movement at all"
    assert frame["mention_id"].iloc[0] == "1860000000000000201"  # not a float


def test_counts_file_is_refused_with_a_clear_message():
    with pytest.raises(MentionDataError, match="counts"):
        load(FIXTURES / "twarc2_counts.jsonl")


def test_reddit_comments_and_submissions():
    frame, report = load([FIXTURES / "reddit_comments.ndjson",
                          FIXTURES / "reddit_submissions.jsonl"])
    check(report)
    assert {f.mapping for f in report.files} == {"reddit"}
    by_id = frame.set_index("mention_id")
    comment = by_id.loc["t1_kx1a2b3"]
    assert comment["url"] == \
        "https://www.reddit.com/r/ontario/comments/1abcde/scam_calls/kx1a2b3/"
    assert comment["likes"] == 57
    assert comment["timestamp"] == pd.Timestamp(1761998400, unit="s", tz="UTC")
    submission = by_id.loc["t3_1abcde"]
    assert submission["text"] == ("Scam calls pretending to be police\n\nThree calls this week."
                                  "\n\nThey know my address.")
    assert submission["comments"] == 48
    assert by_id.loc["t3_1abcdf", "text"] == "Road closed on the 401?"
    assert set(frame["platform"]) == {"reddit"}
    reasons = report.rejects.set_index("line")["reason"]
    assert "[removed]" in reasons.loc[2] and "empty" in reasons.loc[3].lower()


def test_youtube_comment_threads_include_replies():
    frame, report = load(FIXTURES / "youtube_comment_threads.json")
    check(report)
    assert report.files[0].mapping == "youtube"
    assert frame["mention_id"].tolist() == ["UgxComment1", "UgxComment1.Reply1", "UgxComment2"]
    assert frame["text"].iloc[0] == "Thank you officers for the quick response <3"
    assert frame["url"].iloc[0] == "https://www.youtube.com/watch?v=vid401&lc=UgxComment1"
    assert frame["likes"].tolist() == [14, 2, 3]
    assert set(frame["platform"]) == {"youtube"}


def test_meltwater_utf16_tab_export():
    frame, report = load(FIXTURES / "meltwater_export.csv", tz="America/Toronto")
    check(report)
    entry = report.files[0]
    assert (entry.mapping, entry.encoding, entry.delimiter) == ("meltwater", "utf-16-le", "\t")
    assert frame["timestamp"].tolist() == [pd.Timestamp("2026-11-05T14:12:00Z"),
                                           pd.Timestamp("2026-11-05T15:30:00Z")]
    assert frame["platform"].astype(str).tolist() == ["x", "news"]
    assert frame["language"].astype(str).tolist() == ["en", "fr"]
    assert frame["reach"].tolist() == [2310, 45000]
    assert frame["mention_id"].iloc[0] == "1863"
    assert frame["mention_id"].iloc[1].startswith("h:")  # no id in the source
    assert frame["text"].iloc[1].startswith("La circulation a repris")  # Opening Text


def test_brandwatch_export_with_preamble():
    frame, report = load(FIXTURES / "brandwatch_export.csv")
    check(report)
    entry = report.files[0]
    assert entry.mapping == "brandwatch"
    assert any("skipped 7 line" in n for n in entry.notes)
    assert frame["source"].tolist() == ["brandwatch_export.csv#9", "brandwatch_export.csv#11",
                                        "brandwatch_export.csv#12"]
    assert frame["platform"].astype(str).tolist() == ["x", "news", "reddit"]
    assert frame["reach"].tolist()[:2] == [7000, 120000]
    assert frame["mention_id"].tolist() == ["bw-1001", "bw-1002", "bw-1003"]


def test_talkwalker_export_epoch_milliseconds_and_source_types():
    frame, report = load(FIXTURES / "talkwalker_export.csv")
    check(report)
    assert report.files[0].mapping == "talkwalker"
    assert frame["timestamp"].iloc[0] == pd.Timestamp(1762330000000, unit="ms", tz="UTC")
    assert frame["platform"].astype(str).tolist() == ["x", "blog"]
    assert frame["author"].tolist() == ["ygk_news", "Road Blog"]


def test_crowdtangle_zone_abbreviations():
    frame, report = load(FIXTURES / "crowdtangle_export.csv")
    check(report)
    assert report.files[0].mapping == "crowdtangle"
    assert frame["timestamp"].tolist() == [pd.Timestamp("2026-11-05T13:30:00Z"),
                                           pd.Timestamp("2026-07-01T22:00:00Z")]
    assert frame["mention_id"].iloc[0].endswith("/posts/111")  # the post, not the page id
    assert set(frame["platform"]) == {"facebook"}


def test_generic_columns_platform_language_and_counts():
    frame, report = load(FIXTURES / "generic.csv", tz="America/Toronto")
    check(report)
    assert report.files[0].mapping == "generic"
    assert frame["platform"].astype(str).tolist() == ["facebook", "instagram", "x"]
    assert frame["language"].astype(str).tolist() == ["en", "en", "en"]  # English -> en
    assert frame["likes"].tolist() == [120, 4, 1204]  # "1,204"
    assert frame["timestamp"].iloc[1] == pd.Timestamp("2026-11-06T13:00:00Z")


def test_semicolon_csv_with_meltwater_dates():
    frame, report = load(FIXTURES / "generic_semicolon.csv", tz="America/Toronto")
    check(report)
    assert report.files[0].delimiter == ";"
    assert frame["text"].tolist() == ["Bonjour, la route est-elle ouverte?", "Yes; it reopened"]
    assert frame["timestamp"].tolist() == [pd.Timestamp("2026-11-06T15:15:00Z"),
                                           pd.Timestamp("2026-11-07T04:00:00Z")]


# --------------------------------------------------------------------------- options

def test_platform_argument_fills_only_what_the_source_does_not_say(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,date,text,platform\n1,2026-11-01,hello,\n2,2026-11-01,bonjour,Reddit\n"
                    "3,2026-11-01,salut,Carrier pigeon\n")
    frame, _ = load(path, platform="facebook")
    assert frame["platform"].astype(str).tolist() == ["facebook", "reddit", "facebook"]
    frame, _ = load(path)
    assert frame["platform"].astype(str).tolist() == ["other", "reddit", "other"]


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(OptionError, match="time-zone"):
        load(FIXTURES / "generic.csv", tz="Mars/Olympus")
    with pytest.raises(OptionError, match="platform='myspace' is not accepted; use 'x', "):
        load(FIXTURES / "generic.csv", platform="myspace")
    with pytest.raises(OptionError, match="date_order='ymd' is not accepted; use 'dmy' or 'mdy'"):
        load(FIXTURES / "generic.csv", date_order="ymd")
    with pytest.raises(OptionError, match="tz_names"):
        load(FIXTURES / "generic.csv", tz_names={"IST": "India"})
    with pytest.raises(OptionError, match="not a time-zone abbreviation"):
        load(FIXTURES / "generic.csv", tz_names={"+05:30": "Asia/Kolkata"})
    with pytest.raises(MentionDataError, match="no such file"):
        load(tmp_path / "missing.csv")
    with pytest.raises(MentionDataError, match="no mapping named"):
        load(FIXTURES / "generic.csv", mapping="nope")
    with pytest.raises(MentionDataError, match="not supported"):
        (tmp_path / "notes.md").write_text("# hi")
        load(tmp_path / "notes.md")


def test_mapping_dict_overrides_detection(tmp_path):
    path = tmp_path / "intranet.csv"
    path.write_text("Ref,Posted,Body,Who\nA-1,2026-11-01 09:00,Road closed,desk\n")
    with pytest.raises(MentionDataError, match="Columns found: Ref, Posted, Body, Who"):
        load(path)
    frame, report = load(path, mapping={"fields": {"mention_id": "Ref", "timestamp": "Posted",
                                                   "text": "Body", "author": "Who"},
                                        "platform": "news"})
    check(report)
    assert frame[["mention_id", "author", "platform"]].astype(str).values.tolist() == \
        [["A-1", "desk", "news"]]
    # a bare {target: column} dict works too
    frame, _ = load(path, mapping={"timestamp": "Posted", "text": "Body"})
    assert frame["text"].tolist() == ["Road closed"]


def test_mapping_from_yaml_and_register(tmp_path):
    (tmp_path / "intranet.yaml").write_text(
        "name: intranet\ndetect:\n  all: [Posted, Body]\nfields:\n  timestamp: Posted\n"
        "  text: Body\n  author: {template: 'desk-{Who}'}\n")
    path = tmp_path / "intranet.csv"
    path.write_text("Posted,Body,Who\n2026-11-01 09:00,Road closed,7\n")
    frame, report = load(path, mapping=tmp_path / "intranet.yaml")
    assert frame["author"].tolist() == ["desk-7"]
    assert report.files[0].mapping == "intranet"
    register_mapping("intranet", tmp_path / "intranet.yaml")
    frame, report = load(path)
    assert report.files[0].mapping == "intranet"
    frame, report = load(path, mapping="intranet")
    assert len(frame) == 1


def test_invalid_mappings_say_what_is_wrong():
    with pytest.raises(MentionDataError, match="unknown target"):
        register_mapping("bad", {"fields": {"timestamp": "a", "text": "b", "mood": "c"}})
    with pytest.raises(MentionDataError, match="must name a column for text"):
        register_mapping("bad", {"fields": {"timestamp": "a"}})
    with pytest.raises(MentionDataError, match="not a field spec"):
        register_mapping("bad", {"fields": {"timestamp": "a", "text": {"bogus": 1}}})


def test_mapping_that_misses_a_required_column_lists_columns(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,created_at,author\n1,2026-11-01,@a\n")
    with pytest.raises(MentionDataError, match="finds no text column.*columns found: id, "
                       "created_at, author"):
        load(path, mapping="generic")


def test_folder_glob_and_duplicate_names(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    row = "id,created_at,text\n{id},2026-11-01T10:00:00Z,{text}\n"
    (tmp_path / "a" / "m.csv").write_text(row.format(id="1", text="one"))
    (tmp_path / "b" / "m.csv").write_text(row.format(id="1", text="one again"))
    (tmp_path / "b" / "README.txt").write_text("not data")
    (tmp_path / "b" / "~$m.xlsx").write_bytes(b"lock file")
    frame, report = load(tmp_path, progress=False)
    check(report)
    # a generic file's ids are its own: row "1" of two files is two mentions ...
    assert (report.read, report.loaded, report.duplicates) == (2, 2, 0)
    assert frame["source"].tolist() == ["a/m.csv#2", "b/m.csv#2"]
    assert "not used as mention ids" in report.files[0].notes[-1]
    # ... unless they are the same post
    (tmp_path / "b" / "m.csv").write_text(row.format(id="7", text="one"))
    frame, report = load(tmp_path, progress=False)
    assert (report.read, report.loaded, report.duplicates) == (2, 1, 1)
    assert frame["source"].tolist() == ["a/m.csv#2"]
    assert [f.duplicates for f in report.files] == [0, 1]
    frame, report = load(str(tmp_path / "*" / "m.csv"), progress=False)
    assert report.read == 2
    with pytest.raises(MentionDataError, match="matches no mention file"):
        load(str(tmp_path / "*.parquet"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MentionDataError, match="no mention files"):
        load(tmp_path / "empty")


def test_xlsx_and_parquet_round_trip(tmp_path):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Mentions"
    sheet.append(["Export of mentions"])
    sheet.append([])
    sheet.append(["mention_id", "created_at", "author", "text", "likes"])
    sheet.append([186000000000999, dt.datetime(2026, 11, 1, 9, 30), "@a", "from Excel", 3.0])
    sheet.append([])
    sheet.append(["x2", "2026-11-01T10:00:00Z", "@b", "", 1])
    sheet.append(["x3", "2026-11-01T10:00:00Z", "@c", "too wide", 1, None, "surprise"])
    book.create_sheet("Notes").append(["ignored"])
    book.save(tmp_path / "m.xlsx")
    frame, report = load(tmp_path / "m.xlsx", tz="America/Toronto")
    check(report)
    assert (report.read, report.loaded, report.rejected) == (3, 1, 2)
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2026-11-01T14:30:00Z")  # EST that day
    assert frame["mention_id"].iloc[0] == "186000000000999"
    assert frame["source"].iloc[0] == "m.xlsx#4"
    assert frame["likes"].iloc[0] == 3
    assert report.rejects["line"].tolist() == [6, 7]
    notes = " ".join(report.files[0].notes)
    assert "other sheet" in notes and "above the header" in notes
    # Parquet: a saved mention frame loads back as itself
    frame.to_parquet(tmp_path / "m.parquet")
    again, report = load(tmp_path / "m.parquet")
    check(report)
    assert report.files[0].mapping == "generic"
    assert again.drop(columns="source").equals(frame.drop(columns="source"))


def test_report_merge_frame_and_text():
    _, one = load(FIXTURES / "generic.csv")
    _, two = load(FIXTURES / "reddit_comments.ndjson")
    both = one.merge(two)
    check(both)
    assert both.read == one.read + two.read
    assert len(both.files) == 2
    table = both.to_frame()
    assert table["path"].iloc[-1] == "TOTAL"
    assert table["read"].iloc[-1] == both.read
    text = str(both)
    assert "reddit" in text and "rejected records by reason" in text
    assert both.ignored_columns  # reddit's unused keys are listed
    assert one.files[0].sha256 == __import__("hashlib").sha256(
        (FIXTURES / "generic.csv").read_bytes()).hexdigest()


def test_lazy_top_level_export():
    assert ls.load is load
    assert ls.LoadReport is LoadReport


def test_progress_bar_over_files(tmp_path, capsys):
    for k in range(2):
        shutil.copy(FIXTURES / "generic.csv", tmp_path / f"g{k}.csv")
    _, report = load(tmp_path, progress=True)
    assert report.duplicates == 3
    assert "loading files" in capsys.readouterr().err


# --------------------------------------------------------------------------- real samples

needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real samples not present at {REAL}")


@needs_real
@pytest.mark.parametrize(("name", "count"), [("brexit.jsonl", 100), ("flat.jsonl", 100),
                                             ("two_tweets.jsonl", 1), ("geo_tweets.jsonl", 2)])
def test_real_twarc_samples(name, count):
    frame, report = load(REAL / name)
    check(report)
    validate(frame)
    assert report.loaded == count and report.rejected == 0
    assert report.files[0].mapping == "twitter_v2"
    assert frame["author"].notna().all()
    assert frame["mention_id"].str.fullmatch(r"\d+").all()


@needs_real
def test_real_counts_sample_is_refused():
    with pytest.raises(MentionDataError, match="counts"):
        load(REAL / "counts.jsonl")


# --------------------------------------------------------------------------- vocabularies

@pytest.mark.parametrize(("value", "code", "noted"), [
    ("en", "en", False), ("EN-us", "en", False), ("fr_CA", "fr", False), ("French", "fr", False),
    ("Français", "fr", False), ("eng", "en", False), ("iw", "he", False), ("und", None, False),
    ("zxx", None, False), ("qme", None, False), ("", None, False), ("klingon", None, True)])
def test_language_values_are_normalised(value, code, noted):
    from listening.ingest.values import languages

    codes, changes = languages(pd.Series([value], dtype="string[pyarrow]"))
    assert codes.iloc[0] == code
    assert bool(changes) == noted  # "unknown" markers are detected without a note


@pytest.mark.parametrize(("value", "platform"), [
    ("Twitter", "x"), ("X", "x"), ("SOCIALMEDIA_TWITTER", "x"), ("Online News", "news"),
    ("BLOG_OTHER", "blog"), ("reddit.com", "reddit"), ("Forums", "forum"),
    ("SOCIALMEDIA_UNKNOWN", None), ("carrier pigeon", None)])
def test_platform_values_are_normalised(value, platform):
    from listening.ingest.values import _platform_of

    assert _platform_of(value) == platform


def test_report_check_catches_unbalanced_counts():
    report = LoadReport(read=3, loaded=1, rejected=1, duplicates=0)
    with pytest.raises(AssertionError, match="does not balance"):
        report.check()
