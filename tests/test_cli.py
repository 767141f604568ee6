"""The command-line contract: every command exists with --help, and the CLI behaves like a Unix tool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from export_helpers import build_archive

from nianbao.cli import build_parser, main

COMMANDS = ("crawl", "parse", "reparse", "export", "demo", "db", "serve", "coverage", "snapshot")


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(COMMANDS) <= set(choices)
    for command in COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert f"usage: nianbao {command}" in capsys.readouterr().out


def test_export_into_a_new_directory(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    build_archive(db)
    out = tmp_path / "exports" / "2023"
    assert main(["export", "--db", db, "--format", "csv", "--out", f"{out}/"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["codebook.csv", "codebook.json", "nianbao_cells.csv", "nianbao_wide.csv"]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`nianbao export --format jsonl | head -1`: no traceback when the reader goes away."""
    db = f"sqlite:///{tmp_path / 'a.db'}"
    build_archive(db)
    exporter = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "export", "--db", db, "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert exporter.stdout is not None
    first = exporter.stdout.readline()
    exporter.stdout.close()  # like `head -1`
    _, err = exporter.communicate(timeout=60)
    assert first.startswith(b"{")
    assert b"Traceback" not in err, err.decode()
    assert exporter.returncode in (0, 141)
