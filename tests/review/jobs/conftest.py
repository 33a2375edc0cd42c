"""Jobs tests: a shot with two published variants (bare clips, so review-clip jobs run), and a real
django-tasks-db worker loop run in-process until the queue is empty."""
from __future__ import annotations

from pathlib import Path

import pytest
from django_tasks_db.management.commands.db_worker import Worker

from review.choices import ShotStatus
from review.services.edits import decision_create, edit_create
from review.services.fixes import fix_create, fix_review
from review.services.variants import variant_publish
from tests.review.media import uploaded


def drain() -> None:
    """Run every ready task (and those they enqueue) with the real worker, as `db_worker --batch` does."""
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=None,
           worker_id="test-worker", excluded_queue_names=[]).run()


@pytest.fixture
def published(world_tx, clips, settings, tmp_path):
    """The world with variants rigid (testsrc) and loose (bars) published as bare clips, review clips made."""
    settings.FACEREPLACE_WORK_ROOT = tmp_path / "work"
    settings.FACEREPLACE_RENDER_CHUNK_FRAMES = 5
    pipeline = world_tx.users["pipeline"]
    world_tx.variants = [
        variant_publish(shot=world_tx.shot, actor=pipeline, kind="rigid", label="rigid", clip=uploaded(clips["good"]))[0],
        variant_publish(shot=world_tx.shot, actor=pipeline, kind="loose", label="loose",
                        clip=uploaded(clips["good2"]))[0]]
    drain()
    world_tx.shot.refresh_from_db()
    assert world_tx.shot.status == ShotStatus.IN_REVIEW
    return world_tx


def approve(world, transition: int = 3):
    a, b = world.variants
    edit = edit_create(shot=world.shot, actor=world.users["supervisor"], segments=[
        {"variant": a.id, "frame_start": 1001, "frame_end": 1006},
        {"variant": b.id, "frame_start": 1007, "frame_end": 1012, "transition": transition}])
    decision_create(edit=edit, actor=world.users["supervisor"], verdict="approve")
    return edit


def accept_white_fix(world, folder: Path, frame: int, size: tuple[int, int]) -> None:
    """An artist's all-white fix of `frame` (an image of `size`), accepted by the supervisor."""
    from PIL import Image

    image = folder / f"fix.{frame}.png"
    Image.new("RGB", size, (255, 255, 255)).save(image)
    fix = fix_create(shot=world.shot, actor=world.users["artist"], frame_start=frame, frame_end=frame,
                     files=[uploaded(image, image.name)])
    fix_review(fix=fix, actor=world.users["supervisor"], state="accepted")
