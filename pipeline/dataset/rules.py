"""Pruning rules: keep or drop faceset crops by descriptor and tag, with a report of what each removed.

In shot.toml, rules apply in order, each to what the previous ones left::

    [dataset]
    rules = [
      {drop = "teeth_visible"},                 # a yes/no descriptor alone means "is true"
      {drop = "mouth_open > 0.3"},              # NAME OP NUMBER, OP one of < <= > >= == !=
      {drop = "yaw > 60 and yaw < 120"},        # conditions joined by "and"; "not NAME" negates a yes/no
      {keep = "sharpness >= 2"},                # keep: drop every crop the condition is false for
      {keep_tag = "serious"},                   # only crops carrying the tag (source tags + [[dataset.tags]])
      {drop_tag = "turntable", name = "no rig"} # optional name, shown in the report
    ]

There is no "or": write two rules (two drops remove what either matches). Yaw runs -180..180, so the back
of the head is two rules, {drop = "yaw > 150"} and {drop = "yaw < -150"}.
A condition on a descriptor a crop could not measure (the mouth of a back view) is neither true nor false:
such crops are left alone and counted as "unmeasured" in the report. CG crops follow the photograph they
pair with. Names are checked against the descriptor registry: an unknown one is an error listing them.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import operator
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.artifacts import write_manifest
from pipeline.atomic import atomic_dir, atomic_write_text
from pipeline.dataset.descriptors import DESCRIPTORS
from pipeline.dataset.faceset import photos, read_faceset, rebase, value, write_faceset
from pipeline.errors import InputError

logger = logging.getLogger(__name__)

REPORT_KIND = "faceset_rules"
REPORT_VERSION = 1
ACTIONS = ("drop", "keep", "drop_tag", "keep_tag")
_OPS: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge, "==": operator.eq,
                                                   "!=": operator.ne, "<": operator.lt, ">": operator.gt}
_ATOM = re.compile(r"^\s*(not\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:(<=|>=|==|!=|<|>)\s*([-+]?[0-9.]+(?:e[-+]?\d+)?))?\s*$")


@dataclasses.dataclass(frozen=True)
class Atom:
    name: str
    op: str | None  # None: a yes/no descriptor tested for truth
    number: float = 0.0
    negate: bool = False

    def __call__(self, entry: dict[str, Any]) -> bool | None:
        x = value(entry, self.name)
        if math.isnan(x):
            return None
        result = bool(x) if self.op is None else _OPS[self.op](x, self.number)
        return not result if self.negate else result


@dataclasses.dataclass(frozen=True)
class Rule:
    """One parsed rule: its action, its condition (atoms joined by "and") or tag, and its text."""

    action: str
    text: str
    name: str
    atoms: tuple[Atom, ...] = ()
    tag: str = ""

    def matches(self, entry: dict[str, Any]) -> bool | None:
        """Whether the crop matches the condition/tag; None when a descriptor is unmeasured."""
        if self.tag:
            return self.tag in entry.get("tags", [])
        results = [atom(entry) for atom in self.atoms]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True

    def removes(self, entry: dict[str, Any]) -> bool | None:
        match = self.matches(entry)
        if match is None:
            return None
        return match if self.action in ("drop", "drop_tag") else not match


def _known() -> str:
    return ", ".join(f"{d.name} ({d.kind})" for d in DESCRIPTORS.values())


def parse_condition(text: str, *, where: str) -> tuple[Atom, ...]:
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: a condition must be a non-empty string such as \"mouth_open > 0.3\"")
    atoms = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = _ATOM.match(part)
        if not m:
            raise InputError(f"{where}: cannot read {part!r}; write NAME, not NAME, or NAME OP NUMBER (OP one of "
                             "< <= > >= == !=), joined by \"and\"")
        negate, name, op, number = bool(m.group(1)), m.group(2), m.group(3), m.group(4)
        if name not in DESCRIPTORS:
            raise InputError(f"{where}: unknown descriptor {name!r}; known descriptors: {_known()}")
        kind = DESCRIPTORS[name].kind
        if op is None and kind != "bool":
            raise InputError(f"{where}: {name} is a number; compare it, e.g. \"{name} > 0.3\"")
        if negate and op is not None:
            raise InputError(f"{where}: \"not\" goes with a yes/no descriptor alone; write the opposite comparison")
        try:
            atoms.append(Atom(name, op, float(number) if number is not None else 0.0, negate))
        except ValueError:
            raise InputError(f"{where}: {number!r} is not a number") from None
    return tuple(atoms)


def parse_rules(raw: list[Any], *, where: str = "[dataset] rules") -> list[Rule]:
    """Rules from the TOML list; every mistake names the rule and what to write instead."""
    if not isinstance(raw, list):
        raise InputError(f"{where}: rules must be a list of tables, e.g. rules = [{{drop = \"teeth_visible\"}}]")
    rules = []
    for i, item in enumerate(raw):
        w = f"{where} #{i + 1}"
        if not isinstance(item, dict):
            raise InputError(f"{w}: expected a table such as {{drop = \"teeth_visible\"}}, got {item!r}")
        actions = [a for a in ACTIONS if a in item]
        extra = sorted(set(item) - set(ACTIONS) - {"name"})
        if len(actions) != 1 or extra:
            raise InputError(f"{w}: give exactly one of {', '.join(ACTIONS)} (and optionally name); got "
                             f"{', '.join(sorted(item)) or 'nothing'}")
        action = actions[0]
        text = item[action]
        name = str(item.get("name") or f"{action} {text}")
        if action.endswith("_tag"):
            if not isinstance(text, str) or not text:
                raise InputError(f"{w}: {action} takes a tag name, e.g. {action} = \"serious\"")
            rules.append(Rule(action, text, name, tag=text))
        else:
            rules.append(Rule(action, text, name, atoms=parse_condition(text, where=w)))
    return rules


@dataclasses.dataclass(frozen=True)
class RulesOutputs:
    manifest: Path  # the pruned faceset
    report: Path
    markdown: Path
    sheet: Path
    kept: int
    removed: dict[str, list[str]]  # rule name -> removed crop ids


def apply_rules(rules: list[Rule], entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(kept photographic entries, one record per rule with removed ids and unmeasured count)."""
    kept = list(entries)
    records = []
    for rule in rules:
        verdicts = [rule.removes(e) for e in kept]
        removed = [e for e, v in zip(kept, verdicts) if v]
        records.append({"rule": rule.name, "action": rule.action, "condition": rule.text,
                        "before": len(kept), "removed": [e["id"] for e in removed],
                        "unmeasured": sum(v is None for v in verdicts)})
        kept = [e for e, v in zip(kept, verdicts) if not v]
    return kept, records


def run(rules_raw: list[Any], faceset_dir: str | os.PathLike, out_dir: str | os.PathLike) -> RulesOutputs:
    """Apply the rules to a faceset; write the pruned faceset, the report (JSON, Markdown), the contact sheet."""
    rules = parse_rules(rules_raw)
    data = read_faceset(faceset_dir)
    source_folder, out = Path(data["folder"]), Path(out_dir)
    photo = photos(data)
    kept, records = apply_rules(rules, photo)
    kept_ids = {e["id"] for e in kept}
    cg = [e for e in data["crops"] if e.get("source") == "cg" and e.get("pair_of") in kept_ids]
    dropped_cg = sum(1 for e in data["crops"] if e.get("source") == "cg") - len(cg)
    by_id = {e["id"]: e for e in data["crops"]}
    with atomic_dir(out) as tmp:
        derived = {k: v for k, v in data.items() if k not in ("folder", "crops", "kind", "schema_version")}
        write_faceset(tmp, {**derived, "derived_from": os.path.relpath(source_folder, out), "rules": rules_raw,
                            "crops": rebase(kept + cg, source_folder, out)})
        report = {"faceset": os.fspath(source_folder.resolve()), "crops_before": len(photo), "kept": len(kept),
                  "cg_dropped_with_their_pair": dropped_cg, "rules": records}
        write_manifest(tmp / "rules_report.json", kind=REPORT_KIND, version=REPORT_VERSION, data=report)
        atomic_write_text(tmp / "rules_report.md", _markdown(report))
        _contact_sheet(tmp / "removed.png", [(r["rule"], [by_id[i] for i in r["removed"]]) for r in records],
                       source_folder)
    for r in records:
        logger.info("rule %r removed %d of %d (%d unmeasured)", r["rule"], len(r["removed"]), r["before"],
                    r["unmeasured"])
    return RulesOutputs(manifest=out / "faceset.json", report=out / "rules_report.json",
                        markdown=out / "rules_report.md", sheet=out / "removed.png", kept=len(kept),
                        removed={r["rule"]: r["removed"] for r in records})


def _markdown(report: dict[str, Any]) -> str:
    lines = ["# Faceset rules", "", f"Faceset: `{report['faceset']}`", "",
             f"{report['crops_before']} crops before, {report['kept']} kept.", "",
             "| # | rule | removed | of | unmeasured |", "| --- | --- | ---: | ---: | ---: |"]
    for i, r in enumerate(report["rules"], 1):
        lines.append(f"| {i} | `{r['rule']}` | {len(r['removed'])} | {r['before']} | {r['unmeasured']} |")
    for i, r in enumerate(report["rules"], 1):
        if r["removed"]:
            lines += ["", f"## {i}. {r['rule']}", "", ", ".join(r["removed"])]
    if report["cg_dropped_with_their_pair"]:
        lines += ["", f"{report['cg_dropped_with_their_pair']} CG crops left with the photographs they pair with."]
    return "\n".join(lines) + "\n"


THUMB = 64
SHEET_COLUMNS = 12
SHEET_LIMIT = 600  # thumbnails per sheet; the report lists every id


def _contact_sheet(path: Path, groups: list[tuple[str, list[dict[str, Any]]]], folder: Path) -> None:
    """A PNG of the removed crops, one band per rule with its name (a note when nothing was removed)."""
    from pipeline.media.image import read_image, write_image

    bands = []
    shown = 0
    for name, entries in groups:
        entries = entries[:max(0, SHEET_LIMIT - shown)]
        shown += len(entries)
        title = np.full((18, SHEET_COLUMNS * THUMB, 3), 0.15, np.float32)
        cv2.putText(title, f"{name}: {len(entries)} removed", (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (1.0, 1.0, 1.0), 1, cv2.LINE_AA)
        bands.append(title)
        for start in range(0, len(entries), SHEET_COLUMNS):
            row = np.zeros((THUMB, SHEET_COLUMNS * THUMB, 3), np.float32)
            for j, entry in enumerate(entries[start:start + SHEET_COLUMNS]):
                image = read_image(folder / entry["image"])
                image = image[..., :3] if image.ndim == 3 and image.shape[2] >= 3 else \
                    np.repeat(image.reshape(image.shape[0], image.shape[1], 1)[..., :1], 3, axis=2)
                thumb = cv2.resize(image, (THUMB, THUMB), interpolation=cv2.INTER_AREA)
                cv2.putText(thumb, str(entry["frame"]), (2, THUMB - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.3,
                            (1.0, 1.0, 0.3), 1, cv2.LINE_AA)
                row[:, j * THUMB:(j + 1) * THUMB] = thumb
            bands.append(row)
    write_image(path, np.clip(np.vstack(bands) if bands else np.zeros((18, THUMB, 3), np.float32), 0, 1))
