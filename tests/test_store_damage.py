"""A store that cannot lose what it holds (issue 15.1): damage, backups, restore, errors.

Scenarios, each on a real file: a truncated store, a damaged data block (with and
without its mtime changing), a garbage write-ahead log and one that cannot be
replayed, a full disk (a small tmpfs, when run as root), and every kind of DuckDB
exception. The promise checked each time: no committed import is lost without the
user being told which, a damaged file never replaces a good backup, and no raw
DuckDB exception reaches the caller.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_store import make_frame

from listening.cli import main
from listening.errors import (
    StoreConflictError,
    StoreDamagedError,
    StoreDiskFullError,
    StoreError,
    StoreLockedError,
)
from listening.store import check_store, open_store, restore_backup
from listening.store import failures as failures_module
from listening.store import files as files_module

MARKER = "zq-damage-marker"  # in mention texts
NOTE = "zq-triage-marker"  # in triage notes only


def generation_digests(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.glob(path.name + ".bak*"))}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def two_imports(path: Path) -> tuple[list[str], int]:
    """A store with two imports, the second carrying MARKER in every text."""
    with open_store(path) as store:
        store.add(make_frame(30, prefix="a"))
        marked = make_frame(40, prefix="b", start="2026-11-03")
        store.add(marked.assign(text=[f"{MARKER} {k} route closed" for k in range(40)]))
        return list(store.imports()["import_id"]), store.count()


def corrupt_every(path: Path, needle: bytes) -> int:
    """Overwrite every occurrence of ``needle`` in the file; return how many there were."""
    data = bytearray(path.read_bytes())
    found, start = 0, data.find(needle)
    while start >= 0:
        data[start:start + 64] = b"\xa5" * 64
        found += 1
        start = data.find(needle, start + 64)
    path.write_bytes(bytes(data))
    return found


# ---------------------------------------------------------------- truncated file


def test_truncated_store_is_told_on_open_and_restored_without_losing_an_import(tmp_path):
    path = tmp_path / "s.duckdb"
    imports, count = two_imports(path)
    backups_before = generation_digests(path)
    os.truncate(path, path.stat().st_size // 2)

    with pytest.raises(StoreDamagedError) as info:
        open_store(path)
    message = str(info.value)
    assert "is damaged (found on open)" in message
    assert "The newest whole backup is s.duckdb.bak.1" in message and "2 imports" in message
    assert f"listening --store '{path}' doctor --restore" in message
    assert f"listening.store.restore_backup('{path}')" in message
    assert isinstance(info.value.__cause__, duckdb.Error)
    assert info.value.backup == path.with_name("s.duckdb.bak.1")
    assert info.value.lost is None  # the truncated file's audit log cannot be read
    with pytest.raises(StoreDamagedError, match="doctor --restore"):
        open_store(path, read_only=True)
    assert generation_digests(path) == backups_before

    health = check_store(path)
    assert not health.ok
    report = str(health)
    assert "NOT readable" in report and "s.duckdb.bak.1: taken" in report
    assert "next: restore the newest whole backup" in report

    result = restore_backup(path)
    assert result.restored_from.name == "s.duckdb.bak.1" and result.damaged.is_file()
    with open_store(path) as store:
        assert store.count() == count
        assert list(store.imports()["import_id"]) == imports  # nothing committed was lost
        assert len(store.mentions()) == count  # reads back entirely
    assert check_store(path).ok


# ---------------------------------------------------------------- damaged block


def test_damaged_block_is_found_and_never_rotated_over_a_good_backup(tmp_path):
    path = tmp_path / "s.duckdb"
    imports, count = two_imports(path)
    backups_before = generation_digests(path)
    assert corrupt_every(path, MARKER.encode()) >= 1  # the texts are stored verbatim here

    # Opening reads each table's row count and the last import: a damaged data block
    # passes that, and is found by the first read of the block or by the next backup.
    with open_store(path) as store:
        assert store.count() == count
        with pytest.raises(StoreDamagedError, match="while trying to read the store.*"
                                                    "Close the store, then restore") as info:
            store.mentions()
        assert "checksum" in str(info.value.__cause__).lower()
        with pytest.raises(StoreDamagedError,
                           match=r"^the import did not start: store .* is damaged \(found "
                                 r"while proving its backup copy whole\).* The previous "
                                 r"backups were kept\. The newest whole backup is "
                                 r"s\.duckdb\.bak\.1"):
            store.add(make_frame(5, prefix="c"))
        assert store.count() == count and len(store.imports()) == 2
    assert generation_digests(path) == backups_before
    assert leftovers(tmp_path) == []

    result = restore_backup(path)
    assert result.restored_from.name == "s.duckdb.bak.1"
    with open_store(path) as store:
        assert list(store.imports()["import_id"]) == imports
        assert len(store.mentions()) == count


def test_bit_rot_found_after_an_import_says_the_import_was_stored_and_what_restoring_loses(
        tmp_path):
    path = tmp_path / "s.duckdb"
    imports, count = two_imports(path)
    with open_store(path) as store:
        for k in range(20):
            store.save_triage(f"spike:{k}", "new", note=f"{NOTE} call @resident{k}")
        store.backup()
    backups_before = generation_digests(path)
    assert corrupt_every(path, NOTE.encode()) >= 1
    # Bit rot keeps the size and mtime: no backup is due before the next import, and the
    # import itself never reads the triage table; the backup after it finds the damage.
    state = path.with_name("s.duckdb.bak.1").stat()
    os.utime(path, ns=(state.st_atime_ns, state.st_mtime_ns))
    with open_store(path) as store:
        with pytest.raises(StoreDamagedError, match=r"^import \S+ was stored \(5 new mentions"
                                                    r"\), but store .* is damaged") as info:
            store.add(make_frame(5, prefix="d"))
        late = store.imports()["import_id"].iloc[-1]
    assert late not in imports
    assert info.value.lost == (late,) and f"restoring it loses 1 import(s): {late}" in str(
        info.value)
    assert generation_digests(path) == backups_before and leftovers(tmp_path) == []

    plan = restore_backup(path, dry_run=True)
    assert plan.lost == (late,) and plan.damaged is None and path.is_file()
    result = restore_backup(path)
    assert result.lost == (late,) and f"lost 1 import(s): {late}; re-run them" in str(result)
    with open_store(path) as store:
        assert list(store.imports()["import_id"]) == imports
        assert len(store.triage()) == 20 and len(store.mentions()) == count
        assert store.add(make_frame(5, prefix="d")).loaded == 5  # re-run, as told


# ---------------------------------------------------------------- write-ahead log


def test_garbage_write_ahead_log_loses_nothing(tmp_path):
    path = tmp_path / "s.duckdb"
    imports, count = two_imports(path)
    files_module.wal_path(path).write_bytes(os.urandom(5000))
    with open_store(path) as store:  # DuckDB ignores a log whose header is not its own
        assert store.count() == count and list(store.imports()["import_id"]) == imports
        assert store.add(make_frame(3, prefix="n")).loaded == 3
    with open_store(path, read_only=True) as store:
        assert store.count() == count + 3 and len(store.mentions()) == count + 3


KILLED_AFTER_COMMIT = r"""
import os, sys
import listening.store as st
from listening.store import facade
sys.path.insert(0, sys.argv[2])
from test_store import make_frame

run, committed = facade.run, []
def die_at_checkpoint(con, sql, params=None):
    if sql == "COMMIT":
        committed.append(True)
    elif sql == "CHECKPOINT" and committed:
        os._exit(0)  # committed to the log, never checkpointed into the file
    return run(con, sql, params)
store = st.open_store(sys.argv[1])
facade.run = die_at_checkpoint
store.add(make_frame(50, prefix="wal"))
"""


def test_write_ahead_log_that_cannot_be_replayed_is_told_with_the_restore_command(tmp_path):
    path = tmp_path / "s.duckdb"
    imports, count = two_imports(path)
    done = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT, str(path),
                           str(Path(__file__).parent)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    wal = files_module.wal_path(path)
    assert wal.stat().st_size > 200
    with open(wal, "r+b") as handle:  # damage an entry, keep the header
        handle.seek(120)
        handle.write(b"\x00\xff" * 40)
    with pytest.raises(StoreDamagedError, match=r"write-ahead log .*s\.duckdb\.wal cannot be "
                                                r"replayed \(a write interrupted at .*doctor "
                                                r"--restore") as info:
        open_store(path)
    assert "replaying WAL" in str(info.value.__cause__)
    result = restore_backup(path)
    assert result.damaged.with_name(result.damaged.name + ".wal").is_file()  # kept, aside
    with open_store(path) as store:
        # the interrupted import never returned; every import that did is there
        assert list(store.imports()["import_id"]) == imports and store.count() == count


# ---------------------------------------------------------------- restore and doctor


def test_restore_says_which_imports_each_generation_would_lose(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        ids = [store.add(make_frame(10, prefix=p)).import_id for p in "abc"]
    health = check_store(path)
    assert health.ok and [g.path.name for g, _ in health.generations] == [
        "s.duckdb.bak.1", "s.duckdb.bak.2", "s.duckdb.bak.3"]
    assert [lost for _, lost in health.generations] == [(), (ids[2],), (ids[1], ids[2])]

    assert main(["--store", str(path), "doctor"]) == 0
    out = capsys.readouterr().out
    assert "whole, read back entirely — 30 mentions, 3 import(s)" in out
    assert "s.duckdb.bak.1: taken" in out and "it holds every import the store recorded" in out
    assert "s.duckdb.bak.3: taken" in out and f"restoring it loses 2 import(s): {ids[1]}" in out

    assert main(["--store", str(path), "doctor", "--restore", "--generation", "3",
                 "--dry-run"]) == 0
    assert f"would lose 2 import(s): {ids[1]}, {ids[2]}" in capsys.readouterr().out
    assert check_store(path).store.tables["mentions"] == 30  # dry run: nothing changed
    assert main(["--store", str(path), "doctor", "--restore", "--generation", "3",
                 "--yes"]) == 0
    assert f"lost 2 import(s): {ids[1]}, {ids[2]}" in capsys.readouterr().out
    with open_store(path) as store:
        assert list(store.imports()["import_id"]) == ids[:1] and store.count() == 10
    assert list(tmp_path.glob("s.duckdb.damaged-*"))


def test_doctor_exits_1_and_says_what_to_do_on_a_damaged_store(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    two_imports(path)
    os.truncate(path, path.stat().st_size // 2)
    assert main(["--store", str(path), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "NOT readable" in out and "doctor --restore" in out
    assert main(["--store", str(tmp_path / "none.duckdb"), "doctor"]) == 1
    assert "no such file" in capsys.readouterr().out


def test_restore_refuses_an_open_store_and_a_missing_backup(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        store.add(make_frame(3))
        with pytest.raises(StoreLockedError, match="close it before restoring"):
            restore_backup(path)
    for backup in tmp_path.glob("s.duckdb.bak*"):
        backup.unlink()
    with pytest.raises(StoreError, match="no whole backup of .* to restore from"):
        restore_backup(path)


# ---------------------------------------------------------------- full disk (tmpfs)


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs, mounted for the test (needs root; skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill the disk needs root (CI runs as root)")
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, *, leave: int) -> Path:
    ballast = folder / "ballast"
    free = shutil.disk_usage(folder).free
    with open(ballast, "wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(free - leave, 0))
    return ballast


def test_full_disk_is_found_before_the_import(small_disk):
    path = small_disk / "s.duckdb"
    with open_store(path) as store:
        store.add(make_frame(200))
        before = generation_digests(path)
        fill(small_disk, leave=256 << 10)
        with pytest.raises(StoreDiskFullError, match=r"needs about [\d.]+ MB free in .*small "
                                                     r"for the import and its backup, 0\.\d MB "
                                                     r"are free\. Nothing was imported") as info:
            store.add(make_frame(500, prefix="n"))
        assert info.value.needed > info.value.available
        assert store.count() == 200
    assert generation_digests(path) == before and leftovers(small_disk) == []


def test_full_disk_during_the_backup_copy_removes_the_half_written_copy(small_disk,
                                                                        monkeypatch):
    path = small_disk / "s.duckdb"
    with open_store(path) as store:
        store.add(make_frame(200))
        store.save_triage("spike:x", "new")  # a change the next backup must copy
        before = generation_digests(path)
        ballast = fill(small_disk, leave=400 << 10)
        # as if another program filled the disk between the check and the copy
        monkeypatch.setattr(failures_module, "free_bytes", lambda folder: 1 << 40)
        with pytest.raises(StoreDiskFullError, match="for a backup copy") as info:
            store.backup()
        assert info.value.needed == path.stat().st_size
        assert isinstance(info.value.__cause__, OSError)
        assert leftovers(small_disk) == []  # the half-written copy is gone at once
        assert generation_digests(path) == before
        ballast.unlink()
        monkeypatch.undo()
        assert store.backup() == path.with_name("s.duckdb.bak.1")
    assert check_store(path).ok


def test_full_disk_inside_duckdb_keeps_the_import_all_or_nothing(small_disk, monkeypatch):
    path = small_disk / "s.duckdb"
    with open_store(path) as store:
        store.add(make_frame(200))
    ballast = fill(small_disk, leave=96 << 10)
    monkeypatch.setattr(failures_module, "free_bytes", lambda folder: 1 << 40)
    store = open_store(path)
    try:
        with pytest.raises(StoreDiskFullError, match="the disk is full") as info:
            store.add(make_frame(3000, prefix="big"))
        assert "No space left" in str(info.value.__cause__)
    finally:
        store.close()
    ballast.unlink()
    monkeypatch.undo()
    with open_store(path) as store:
        count, imports = store.count(), store.imports()
        assert count in (200, 3200)
        assert int(imports["loaded"].sum()) == count  # the audit row travels with its rows
    assert leftovers(small_disk) == []


# ---------------------------------------------------------------- every DuckDB error


class Exploding:
    """A connection whose statements raise ``error`` (everything else is the real one)."""

    def __init__(self, real, error):
        self._real, self._error = real, error

    def execute(self, *args, **kwargs):
        raise self._error

    def sql(self, *args, **kwargs):
        raise self._error

    def __getattr__(self, name):
        return getattr(self._real, name)


ERRORS = [
    (duckdb.IOException("IO Error: Could not write file: No space left on device"),
     StoreDiskFullError, "the disk is full"),
    (duckdb.IOException("IO Error: Cannot open file: Permission denied"), StoreError,
     "check the file's permissions"),
    (duckdb.TransactionException("TransactionContext Error: Conflict on update"),
     StoreConflictError, "Use one Store per file"),
    (duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate"), StoreError,
     "ran out of memory"),
    (duckdb.FatalException("FATAL Error: database has been invalidated"), StoreError,
     "open it again"),
    (duckdb.Error("Corrupt database file: computed checksum 1 does not match 2"),
     StoreDamagedError, "restore"),
    (duckdb.InternalException("INTERNAL Error: unexpected"), StoreError, "listening doctor"),
    (duckdb.InvalidInputException("Invalid Input Error: bad"), StoreError, "listening doctor"),
]
OPERATIONS = {
    "count": lambda s: s.count(),
    "mentions": lambda s: s.mentions(since="7D"),
    "save_triage": lambda s: s.save_triage("k", "new"),
    "add": lambda s: s.add(make_frame(2, prefix="z")),
    "purge_plan": lambda s: s.purge("30D", dry_run=True),
    "secret": lambda s: s.secret(),
    "backup": lambda s: s.backup(),
}


@pytest.mark.parametrize("error, kind, advice", ERRORS, ids=lambda v: type(v).__name__
                         if isinstance(v, BaseException) else None)
def test_every_duckdb_exception_reaches_the_user_as_a_store_error(tmp_path, error, kind,
                                                                  advice):
    path = tmp_path / "s.duckdb"
    store = open_store(path)
    store.add(make_frame(3))
    try:
        for name, operation in OPERATIONS.items():
            if name == "backup":
                store.save_triage("b", "new")  # a change, so that the backup copies
            real = store._con
            store._con = Exploding(real, error)
            try:
                with pytest.raises(StoreError) as info:
                    operation(store)
            finally:
                closed = store._con is None
                if not closed:
                    store._con = real
            assert not isinstance(info.value, duckdb.Error), name
            assert isinstance(info.value, kind), (name, type(info.value))
            assert info.value.__cause__ is error, name
            assert advice.lower() in str(info.value).lower(), (name, str(info.value))
            if closed:  # a fatal error closed the store: it says so; it opens again
                with pytest.raises(StoreError, match="is closed; open it again"):
                    store.count()
                store = open_store(path)
            assert store.count() == 3
    finally:
        store.close()


def test_connect_errors_are_store_errors(tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    real = duckdb.connect

    def refusing(error):
        def connect(database=":memory:", *args, **kwargs):
            if str(database) == str(path):
                raise error
            return real(database, *args, **kwargs)
        return connect

    cases = [
        (duckdb.IOException(f'IO Error: Could not set lock on file "{path}": Conflicting lock '
                            f"is held in /usr/bin/python3 (PID 4242)"), StoreLockedError,
         r"in use by another process \(pid 4242\)"),
        *ERRORS[:2],  # disk full, permission denied
        (duckdb.IOException("IO Error: Could not read enough bytes from file"),
         StoreDamagedError, "found on open"),
    ]
    for error, kind, message in cases:
        monkeypatch.setattr(duckdb, "connect", refusing(error))
        with pytest.raises(kind, match=f"(?i){message}") as info:
            open_store(path)
        assert info.value.__cause__ is error
    monkeypatch.undo()


def test_damage_without_any_backup_says_to_reload_the_sources(tmp_path):
    path = tmp_path / "s.duckdb"
    two_imports(path)
    for backup in tmp_path.glob("s.duckdb.bak*"):
        backup.unlink()
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(StoreDamagedError, match="No whole backup exists: move .* aside") as info:
        open_store(path)
    assert info.value.backup is None
    not_a_store = tmp_path / "mentions.csv"
    not_a_store.write_text("id,text\n1,hello\n" * 500)
    with pytest.raises(StoreError, match="not a DuckDB database; check the path"):
        open_store(not_a_store)


def test_backup_mtime_ignores_an_unchanged_store(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        store.add(make_frame(3))
        before = generation_digests(path)
        assert store.backup() is None  # nothing changed since the import's own backup
    with open_store(path) as store:  # opening and closing write nothing
        assert store.backup() is None
    assert generation_digests(path) == before
    assert pd.Timestamp.now(tz="UTC") > check_store(path).generations[0][0].taken


def test_the_single_backup_of_listening_0_1_joins_the_generations(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        first = store.add(make_frame(3)).import_id
    for backup in tmp_path.glob("s.duckdb.bak.*"):
        backup.unlink()
    shutil.copyfile(path, tmp_path / "s.duckdb.bak")  # what listening 0.1 kept
    assert [g.path.name for g, _ in check_store(path).generations] == ["s.duckdb.bak"]
    with open_store(path) as store:
        store.add(make_frame(2, prefix="n"))
    health = check_store(path)
    names = [g.path.name for g, _ in health.generations]
    assert names == ["s.duckdb.bak.1", "s.duckdb.bak.2", "s.duckdb.bak.3"]
    assert health.generations[-1][0].imports == (first,)  # the old backup, now the oldest
    assert not (tmp_path / "s.duckdb.bak").exists()
