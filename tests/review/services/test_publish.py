"""Publishing variants: content-checked clips, idempotent retries, the first variant opens the review."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from review.choices import ShotStatus
from review.errors import Conflict, UploadRejected
from review.models import Activity, Variant
from review.services.variants import variant_publish
from tests.review.media import uploaded


def _publish(world, clip, *, label="rigid A", key=None, kind="rigid"):
    return variant_publish(shot=world.shot, actor=world.users["pipeline"], kind=kind, label=label,
                           clip=uploaded(clip), idempotency_key=key, model_name="rigid-v1",
                           qc=[{"frame": 1001, "coverage": 1.0, "anomaly": 0.1}])


def _stored_files(shot_id: int) -> list[str]:
    folder = f"shots/{shot_id}/variants"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def test_first_variant_opens_the_review_and_is_stored_under_a_server_name(world, clips):
    variant, created = _publish(world, clips["good"])
    world.shot.refresh_from_db()
    assert created and world.shot.status == ShotStatus.IN_REVIEW
    assert variant.clip_frames == 12 and variant.clip.name.startswith(f"shots/{world.shot.id}/variants/")
    assert "good" not in variant.clip.name and default_storage.exists(variant.clip.name)
    assert Activity.objects.filter(shot=world.shot, verb="variant.published").count() == 1


def test_retry_with_the_same_key_returns_the_same_variant(world, clips):
    first, created = _publish(world, clips["good"], key="abc")
    again, created_again = _publish(world, clips["good"], key="abc")
    assert created and not created_again and again.id == first.id
    assert Variant.objects.count() == 1 and len(_stored_files(world.shot.id)) == 1


def test_same_key_for_another_clip_is_a_conflict(world, clips):
    _publish(world, clips["good"], key="abc")
    with pytest.raises(Conflict, match="Idempotency-Key"):
        _publish(world, clips["good2"], key="abc", label="other")


def test_new_content_under_a_label_is_its_next_version_and_the_first_is_kept(world, clips):
    v1, _ = _publish(world, clips["good"])
    v2, created = _publish(world, clips["good2"])
    other, _ = _publish(world, clips["good2"], label="loose B", kind="loose")
    assert created and (v1.version, v2.version, other.version) == (1, 2, 1)
    assert (v2.label, v2.version_name) == ("rigid A", "v002") and v2.id != v1.id
    kept = Variant.objects.get(pk=v1.pk)
    assert kept.clip.name == v1.clip.name and default_storage.exists(kept.clip.name) and kept.qc == v1.qc
    assert len(_stored_files(world.shot.id)) == 3
    published = Activity.objects.filter(shot=world.shot, verb="variant.published").order_by("id")
    assert [a.data["version"] for a in published] == [1, 2, 1] and "rigid A v002" in published[1].summary


def test_the_same_content_published_again_without_a_key_makes_no_new_version(world, clips):
    v1, _ = _publish(world, clips["good"])
    v2, _ = _publish(world, clips["good2"])
    again, created = _publish(world, clips["good2"])
    assert not created and again.id == v2.id and Variant.objects.count() == 2
    back, created = _publish(world, clips["good"])  # v001's content again after v002: a new version, v003
    assert created and back.version == 3 and back.clip_sha256 == v1.clip_sha256


@pytest.mark.parametrize("name, message", [
    ("text", "not a video or image this engine can read"),
    ("png", r"is an image \(png\), not a video"),
    ("truncated", "truncated video, its header promises 12 frames"),
    ("truncated_moov_last", "not a video or image this engine can read"),
    ("short", "has 8 frames but shot"),
    ("wrong_fps", "30000/1001 fps"),
])
def test_bad_clips_are_refused_and_nothing_is_stored(world, clips, name, message):
    with pytest.raises(UploadRejected, match=message):
        _publish(world, clips[name])
    assert not Variant.objects.exists() and _stored_files(world.shot.id) == []
    world.shot.refresh_from_db()
    assert world.shot.status == ShotStatus.WAITING


def test_too_large_is_413(world, clips, settings):
    settings.FACEREPLACE_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(UploadRejected) as err:
        _publish(world, clips["good"])
    assert err.value.status == 413 and "FACEREPLACE_MAX_UPLOAD_BYTES" in str(err.value)
