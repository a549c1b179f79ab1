"""``listening doctor``: the store's state, its backups and what each holds.

Works on a closed store, damaged or not (that is when it is needed): the store
and each backup generation are opened read-only and read back whole.
"""

from __future__ import annotations

import dataclasses
import glob
from pathlib import Path

import duckdb

from . import failures, inventory, restore
from .files import default_store_path, wal_path
from .purge import journal_path


@dataclasses.dataclass(frozen=True)
class StoreHealth:
    """What :func:`check_store` found; ``str()`` is the report ``listening doctor`` prints.

    ``store`` is the store file's :class:`~listening.store.inventory.Inventory`
    (None when there is no file), ``generations`` each backup's inventory with the
    imports restoring it would lose (None when the store's audit log is unreadable).
    """

    path: Path
    store: inventory.Inventory | None
    wal_bytes: int
    generations: tuple[tuple[inventory.Inventory, tuple | None], ...]
    damaged_copies: tuple[Path, ...]
    pending_purge: bool

    @property
    def ok(self) -> bool:
        return self.store is not None and self.store.whole

    def __str__(self) -> str:
        lines = []
        inv = self.store
        if inv is None:
            lines.append(f"store {self.path}: no such file")
        elif inv.whole:
            lines.append(f"store {self.path}: whole, read back entirely — "
                         f"{_holds(inv)}, {failures.mb(inv.size)}")
        else:
            lines.append(f"store {self.path}: NOT readable — {inv.problem}")
        if self.wal_bytes:
            lines.append(f"  write-ahead log: {self.wal_bytes:,} bytes (a write was interrupted; "
                         f"opening the store read-write replays it)")
        if self.pending_purge:
            lines.append("  a purge was interrupted: open the store read-write to finish or "
                         "roll it back")
        lines.append("backups, newest first:" if self.generations else "backups: none yet")
        for generation, lost in self.generations:
            if not generation.whole:
                lines.append(f"  {generation.path.name}: damaged, cannot be restored — "
                             f"{generation.problem}")
                continue
            loses = inventory.describe_loss(lost, generation) if lost is not None else ""
            lines.append(f"  {generation.path.name}: taken {inventory.when(generation.taken)}, "
                         f"whole — {_holds(generation)}, {failures.mb(generation.size)}"
                         + (f"; {loses}" if loses else ""))
        if inv is not None and not inv.whole and self.generations:
            lines.append("  (the store's own audit log cannot be read: imports finished after "
                         "a backup was taken are not in it)")
        for copy in self.damaged_copies:
            lines.append(f"kept damaged copy: {copy.name} (delete it once inspected; a purge "
                         f"deletes it)")
        if not self.ok:
            if any(g.whole for g, _ in self.generations):
                lines.append(f"next: restore the newest whole backup with "
                             f"{restore.restore_command(self.path)}")
            elif inv is not None and "lock" not in inv.problem.lower():
                lines.append("next: no whole backup; move the store aside and load the source "
                             "files again into a new store")
        return "\n".join(lines)


def _holds(inv: inventory.Inventory) -> str:
    last = f", last {inv.last_import}" if inv.last_import else ""
    return (f"{inv.tables.get('mentions', 0):,} mentions, {len(inv.imports)} "
            f"import(s){last}")


def check_store(path=None) -> StoreHealth:
    """Read the (closed) store and each backup generation back; see :class:`StoreHealth`.

    A store open read-write in another process is reported as such (its lock
    prevents reading it); its backups are still checked.
    """
    path = Path(default_store_path() if path is None else path).expanduser().resolve()
    with duckdb.connect() as con:  # one DuckDB for every file read back
        store = inventory.inspect(path, full=True, con=con) if path.exists() else None
        if store is not None and failures.is_lock(store.problem):
            store = dataclasses.replace(store, problem=f"in use by another process — "
                                                       f"{store.problem}; close it to check it")
        imports = store.imports if store is not None and store.whole else None
        generations = tuple((g, inventory.lost_by_restoring(imports, g))
                            for g in (inventory.inspect(p, full=True, con=con)
                                      for p in inventory.generations(path)))
    wal = wal_path(path)
    copies = tuple(sorted(path.parent.glob(f"{glob.escape(path.name)}.damaged-*")))
    return StoreHealth(path, store, wal.stat().st_size if wal.is_file() else 0, generations,
                       tuple(c for c in copies if not c.name.endswith(".wal")),
                       journal_path(path).is_file())
