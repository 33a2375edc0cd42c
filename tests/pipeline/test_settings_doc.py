"""docs/settings.md is generated from the typed configs: it fails here when it drifts from the code, and a setting
added without a comment cannot be documented at all."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.settings_doc import DOC_PATH, settings_markdown
from pipeline.shot import settings_tables

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_in_the_repository_is_what_the_code_says():
    assert (ROOT / DOC_PATH).read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is out of date: run `make settings-doc`")


def test_every_setting_of_every_table_is_documented():
    text = settings_markdown()
    for table, cls in settings_tables().items():
        heading = f"## [[{table}]]" if table == "variants" else f"## [{table}]"
        section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
        for f in dataclasses.fields(cls):
            assert f"| `{f.name}` |" in section, f"[{table}] {f.name} is missing"
    assert "[[sources]]" in text and "sync = {frame" in text  # the shot's own tables, from pipeline.shot


def test_a_setting_without_a_comment_is_an_error():
    from pipeline.settings_doc import _table_section

    @dataclasses.dataclass(frozen=True)
    class Undocumented:
        """[nothing]"""

        known: int = 1  # what it does
        silent: float = 2.0

    with pytest.raises(InputError, match=r"Undocumented\.silent: the setting has no comment"):
        _table_section("[nothing]", Undocumented)


def test_the_verb_checks_and_rewrites_the_file(tmp_path, capsys):
    assert main(["shot", "settings-doc", "--root", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(["shot", "settings-doc", "--root", str(tmp_path)]) == 0
    assert (tmp_path / DOC_PATH).read_text() == settings_markdown()
    assert main(["shot", "settings-doc", "--root", str(tmp_path), "--check"]) == 0
