"""docs/settings.md: every setting of every table of shot.toml, generated from the code that reads them.

The shot's own tables ([shot], [cameras], [[sources]], [cg], [truth]) are documented by the format block of
`pipeline.shot`'s docstring; each settings table ([track], [stabilize], ...) by its typed config: every dataclass
field with its type, its default and the comment written beside it (a comment on the field's line, or the comment
lines just above it). A field without such a comment is an error here, so a setting cannot be added undocumented,
and `tests/pipeline/test_settings_doc.py` fails when the file differs from what this module writes
(`make settings-doc` or `facereplace shot settings-doc` rewrites it).
"""
from __future__ import annotations

import dataclasses
import inspect
import io
import textwrap
import tokenize
import typing
from pathlib import Path
from typing import Any

from pipeline.errors import InputError

DOC_PATH = Path("docs") / "settings.md"


def field_docs(cls: type) -> dict[str, str]:
    """The comment documenting each field of dataclass `cls`, read from its source."""
    source = textwrap.dedent(inspect.getsource(cls))
    lines = source.splitlines()
    comments: dict[int, str] = {}  # line number -> comment text
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    names = {f.name for f in dataclasses.fields(cls)}
    docs = {}
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        name = stripped.split(":", 1)[0].strip()
        if line.startswith("    ") and not line.startswith("     ") and name in names and ":" in stripped:
            above = []
            k = number - 1
            while k in comments and lines[k - 1].strip().startswith("#"):
                above.insert(0, comments[k])
                k -= 1
            trailing = [comments[number]] if number in comments else []
            docs[name] = " ".join(above + trailing)
    return docs


def _type_name(hint: Any) -> str:
    text = hint.__name__ if isinstance(hint, type) else str(hint)
    return text.replace("typing.", "").replace("pipeline.dataset.config.", "").replace(" | ", " or ")


_REQUIRED = object()


def default_value(f: dataclasses.Field) -> Any:
    """A field's default (a factory's product), or _REQUIRED."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _REQUIRED


def toml_value(value: Any) -> str:
    """`value` as TOML writes it (strings quoted, booleans lower case, tuples as arrays)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def _default(f: dataclasses.Field) -> str:
    value = default_value(f)
    if value is _REQUIRED:
        return "required"
    if dataclasses.is_dataclass(value):
        return "(table below)"
    return "absent" if value is None else f"`{toml_value(value)}`"


def commented_table(heading: str, cls: type) -> list[str]:
    """Every setting of a table as commented TOML lines (`# key = default  # what it does`), nested tables after:
    what a shot.toml lists so that its reader sees what can be set."""
    docs = field_docs(cls)
    out, nested = [f"# {heading}"], []
    for f in dataclasses.fields(cls):
        value = default_value(f)
        if dataclasses.is_dataclass(value):
            nested.append((f"[{heading.strip('[]')}.{f.name}]", type(value)))
        elif value is not _REQUIRED and not (isinstance(value, list) and value and isinstance(value[0], dict)):
            shown = "(absent)" if value is None else toml_value(value)
            out.append(f"# {f.name} = {shown}  # {docs.get(f.name, '')}")
    for sub_heading, sub in nested:
        out += commented_table(sub_heading, sub)
    return out


def _table_section(heading: str, cls: type) -> list[str]:
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    summary = " ".join((inspect.getdoc(cls) or "").split())
    out = [f"## {heading}", "", summary, "", "| key | type | default | what it does |", "| --- | --- | --- | --- |"]
    nested = []
    for f in dataclasses.fields(cls):
        doc = docs.get(f.name, "")
        if not doc:
            raise InputError(f"{cls.__module__}.{cls.__qualname__}.{f.name}: the setting has no comment; write what it "
                             "does beside it (docs/settings.md is made from these comments)")
        hint = hints[f.name]
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list and typing.get_args(hint) else None
        if dataclasses.is_dataclass(hint) or (inner is not None and dataclasses.is_dataclass(inner)):
            brackets = ("[[", "]]") if inner is not None else ("[", "]")
            nested.append((f"{brackets[0]}{heading.strip('[]')}.{f.name}{brackets[1]}", inner or hint))
        out.append(f"| `{f.name}` | `{_type_name(hint)}` | {_default(f)} | {doc.replace('|', '/')} |")
    out.append("")
    for sub_heading, sub in nested:
        out += _table_section(sub_heading, sub)
    return out


def settings_markdown() -> str:
    """The whole reference, as docs/settings.md holds it."""
    import pipeline.shot as shot_module
    from pipeline.shot import settings_tables

    docstring = inspect.getdoc(shot_module) or ""
    format_block = docstring.split("::", 1)[1] if "::" in docstring else docstring
    out = ["# shot.toml: every table and setting", "",
           "<!-- Generated from the code by `make settings-doc` (pipeline/settings_doc.py); do not edit by hand. -->",
           "", "One shot is one folder with a `shot.toml`. `facereplace shot init` writes one from footage; "
           "`load_shot` (pipeline/shot.py) reads and checks it, and a bad key or value is an error naming its "
           "table and key. Paths are relative to the shot folder.", "",
           "## The shot's own tables", "", "```toml", textwrap.dedent(format_block).strip("\n"), "```", ""]
    for name, cls in settings_tables().items():
        out += _table_section(f"[[{name}]]" if name == "variants" else f"[{name}]", cls)
    return "\n".join(out).rstrip("\n") + "\n"


def write_settings_doc(root: Path) -> Path:
    """Write docs/settings.md under the repository `root`, atomically."""
    from pipeline.atomic import atomic_write_text

    return atomic_write_text(root / DOC_PATH, settings_markdown())
