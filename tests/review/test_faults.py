"""Faults answered with their reason (issue 28, finding 7): a database another process holds locked answers
503 with Retry-After (not a 500 after a long wait) and a job that meets it is retried, not failed; a media
folder that is read-only or full answers naming MEDIA_ROOT and keeps nothing half-written.

The lock is a real one (a second SQLite connection in BEGIN IMMEDIATE on the site's database file); the
read-only and full media folders are real file systems (tmpfs mounts, or a folder without write permission
when the tests do not run as root)."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from review.models import Note
from tests.review.jobs.procs import wait_for, workers
from tests.review.live import running_site
from tests.review.media import encode_clip


@contextlib.contextmanager
def locked(db: Path) -> Iterator[None]:
    """Hold SQLite's write lock on `db` (as a long write of another process would) until the block ends."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("COMMIT")
        conn.close()


@pytest.mark.slow
def test_a_locked_database_answers_503_with_retry_after(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEREPLACE_SQLITE_TIMEOUT", "1")
    with running_site(tmp_path / "home") as site:
        artist = {"Authorization": f"Token {site.token('art', 'artist', 'busy')}"}
        pipeline = {"Authorization": f"Token {site.token('bot', 'pipeline', 'busy')}"}
        shot = requests.post(site.url + "/api/shots/", json={"project": "busy", "sequence": "SQ1", "code": "SH1"},
                             headers=pipeline).json()
        note = {"frame_start": 1001, "text": "the jaw slips"}
        with locked(site.home / "db.sqlite3"):
            started = time.monotonic()
            refused = requests.post(site.url + f"/api/shots/{shot['id']}/notes/", json=note, headers=artist)
            waited = time.monotonic() - started
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5", refused.text
        assert "database is busy" in refused.json()["detail"] and waited < 10
        again = requests.post(site.url + f"/api/shots/{shot['id']}/notes/", json=note, headers=artist)
        assert again.status_code == 201, again.text


def _job(db: Path) -> dict | None:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM review_job WHERE kind='review_clip' ORDER BY id LIMIT 1").fetchone()
        return dict(row) if row else None


@pytest.mark.slow
def test_a_job_that_meets_a_locked_database_is_retried_not_failed(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEREPLACE_SQLITE_TIMEOUT", "1")  # heartbeats stay the default: the reaper keeps out
    clip = encode_clip(tmp_path / "long.mp4", frames=72, size="640x360")
    with running_site(tmp_path / "home") as site:
        db = site.home / "db.sqlite3"
        pipeline = {"Authorization": f"Token {site.token('bot', 'pipeline', 'busy')}"}
        shot = requests.post(site.url + "/api/shots/", json={"project": "busy", "sequence": "SQ1", "code": "SH1",
                                                             "frame_start": 1001, "frame_end": 1072},
                             headers=pipeline).json()
        with clip.open("rb") as f:
            assert requests.post(site.url + f"/api/shots/{shot['id']}/variants/", data={"kind": "rigid", "label": "A"},
                                 files={"clip": f}, headers=pipeline).status_code == 201
        with workers(site.env, 1):
            wait_for("the review clip job to be under way",
                     lambda: (j := _job(db)) and j["state"] == "running" and j["progress"] > 0)
            with locked(db):
                time.sleep(4)  # the job's next progress write waits 1 s for the lock, then meets a locked database
            done = wait_for("the job to end", lambda: (j := _job(db))["state"] in ("done", "failed") and j,
                            timeout=120)
    assert done["state"] == "done", done["error"]
    assert done["attempt"] == 2 and "the database was busy" in done["log"]


@contextlib.contextmanager
def media_folder(path: Path, *, size: str | None = None, read_only: bool = False) -> Iterator[Path]:
    """A real file system for MEDIA_ROOT: a tmpfs of `size`, or mounted read-only (as root); without root, a
    read-only folder is one without write permission (a full one cannot be made: skipped)."""
    path.mkdir(parents=True)
    if os.geteuid() != 0:
        if not read_only:
            pytest.skip("a full file system needs root to mount a small tmpfs")
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    options = ",".join(filter(None, ["ro" if read_only else "", f"size={size}" if size else ""]))
    mounted = subprocess.run(["mount", "-t", "tmpfs", *(["-o", options] if options else []), "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def _attachment(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.txt", b"frame 1012: the hairline pops\n" * (size // 30))


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize("kind", ["read-only", "full"])
def test_an_unwritable_media_folder_is_named_and_nothing_is_kept(client, world, settings, tmp_path, kind):
    with media_folder(tmp_path / "mnt", size="64k", read_only=kind == "read-only") as root:
        settings.MEDIA_ROOT = root
        response = world.client("artist").post(f"/api/shots/{world.shot.id}/notes/", {
            "frame_start": 1001, "text": "see the notes", "attachments": [_attachment(256 * 1024)]},
            format="multipart")
        detail = response.json()["detail"]
        assert response.status_code == (503 if kind == "read-only" else 507), detail
        assert "media folder (MEDIA_ROOT)" in detail and str(root) not in detail
        assert ("is full" if kind == "full" else "cannot be written to") in detail
        assert not Note.objects.exists() and _stored_files(root) == []
        client.force_login(world.users["artist"])
        page = client.post(f"/shots/{world.shot.id}/notes", {"frame_start": 1001, "text": "again",
                                                              "attachments": [_attachment(256 * 1024)]}, follow=True)
        assert page.status_code == 200 and "media folder (MEDIA_ROOT)" in page.content.decode()
        assert not Note.objects.exists() and _stored_files(root) == []


def test_the_busy_check_reads_sqlites_and_postgresqls_lock_errors():
    from django.db import OperationalError

    from review.errors import database_busy

    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    pg = OperationalError("canceling statement due to lock timeout")
    pg.__cause__ = LockNotAvailable()
    assert database_busy(OperationalError("database is locked")) and database_busy(pg)
    assert not database_busy(OperationalError("no such table: review_job")) and not database_busy(ValueError())

