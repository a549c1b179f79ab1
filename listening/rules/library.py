"""The rule library: one YAML file per rule in a folder (``data/rules/``).

A rule file holds the fields ``name`` and ``query`` (required) and
``description``, ``owner``, ``severity`` (1-10), ``language`` (``en``, ``fr``,
``en+fr``), ``created``, ``updated`` (dates). Files are read with
``yaml.safe_load`` only; unknown fields are refused so a typo such as
``serverity`` does not silently fall back to a default. Each rule covers one
concern in both official languages (English and French terms in one query), so
one concern is one column and one alert stream whatever the language.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from ..errors import RuleFileError, RuleSyntaxError, UnsafePathError
from .rule import FIELD_ORDER, Rule, slugify

__all__ = ["RULE_SUFFIXES", "load_rule", "load_rules", "save_rule"]

RULE_SUFFIXES = (".yaml", ".yml")
REQUIRED_FIELDS = ("name", "query")


def load_rule(path: str | os.PathLike) -> Rule:
    """Read and validate one rule file; errors name the file and the field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise RuleFileError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                            path=str(path), field="", expected="valid YAML") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{path}: cannot read the rule file ({exc})", path=str(path),
                            expected="a readable UTF-8 file") from None
    if not isinstance(data, dict):
        raise RuleFileError(f"{path}: expected a mapping of rule fields "
                            f"({', '.join(FIELD_ORDER)}), found {type(data).__name__}",
                            path=str(path),
                            expected="a YAML mapping")
    unknown = sorted(set(map(str, data)) - set(FIELD_ORDER))
    if unknown:
        raise RuleFileError(f"{path}: unknown field {unknown[0]!r}: expected only "
                            f"{', '.join(FIELD_ORDER)}", path=str(path), field=unknown[0],
                            expected=", ".join(FIELD_ORDER))
    for name in REQUIRED_FIELDS:
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise RuleFileError(f"{path}: field {name!r} is missing or empty: expected text",
                                path=str(path), field=name, expected="text")
    fields = {k: ("" if v is None and k in ("description", "owner") else v)
              for k, v in data.items()}
    if fields.get("language") is None:
        fields.pop("language", None)
    if fields.get("severity") is None:
        fields.pop("severity", None)
    try:
        return Rule(**fields)
    except RuleFileError as exc:
        raise RuleFileError(f"{path}: {exc.message}", path=str(path), field=exc.field,
                            expected=exc.expected) from None
    except RuleSyntaxError as exc:
        raise RuleFileError(f"{path}: field 'query': {exc.message}", path=str(path),
                            field="query", query=exc.query, position=exc.position,
                            expected=exc.expected) from None


def load_rules(folder: str | os.PathLike = "data/rules") -> list[Rule]:
    """Every rule in ``folder`` (``*.yaml``/``*.yml``), sorted by file name.

    Every file is validated; the first invalid one raises :class:`RuleFileError`
    with ``path`` and ``field``. Two rules whose names give the same column also
    raise, naming both files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RuleFileError(f"rule folder {str(folder)!r} does not exist: expected a folder of "
                            "YAML rule files such as data/rules", path=str(folder),
                            expected="a folder")
    rules: list[Rule] = []
    where: dict[str, Path] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in RULE_SUFFIXES):
        rule = load_rule(path)
        if rule.slug in where:
            raise RuleFileError(f"{path}: rule name {rule.name!r} gives column {rule.column!r}, "
                                f"already used by {where[rule.slug]}: rename one", path=str(path),
                                field="name", expected="a unique name")
        where[rule.slug] = path
        rules.append(rule)
    return rules


def save_rule(rule: Rule, folder: str | os.PathLike = "data/rules", *,
              overwrite: bool = True) -> Path:
    """Write ``rule`` to ``folder/<slug>.yaml`` and return the path.

    The file name comes from the slugified rule name (``[a-z0-9_]`` only), so it
    can never hold ``..`` or a path separator; the resolved path is checked to be
    inside ``folder`` all the same. ``updated`` is set to today (and ``created``
    when missing). A file holding a *different* rule whose name slugifies the
    same is never overwritten. The write is atomic (temporary file + rename).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    slug = slugify(rule.name)
    path = (folder / f"{slug}.yaml").resolve()
    if path.parent != folder.resolve() or not slug:
        raise UnsafePathError(f"rule name {rule.name!r} does not give a safe file name in "
                              f"{folder}: use letters and digits")
    if path.exists():
        if not overwrite:
            raise RuleFileError(f"{path} already exists: pass overwrite=True to replace it",
                                path=str(path), field="name", expected="a new rule name")
        try:
            existing = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            existing = {}
        other = existing.get("name") if isinstance(existing, dict) else None
        if other is not None and other != rule.name:
            raise RuleFileError(f"{path} holds rule {other!r}, not {rule.name!r}: rename the "
                                "rule", path=str(path), field="name", expected="a distinct name")
    text = rule.with_dates().to_yaml()
    fd, tmp = tempfile.mkstemp(prefix=f".{slug}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
