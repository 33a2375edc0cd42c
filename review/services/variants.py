"""Publishing a variant: the clip is checked by content, stored under a server-chosen name, and a retried
publish (same Idempotency-Key) returns the variant it already made instead of making a second one."""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from review.choices import ShotStatus
from review.errors import Conflict, UploadRejected
from review.models import Shot, Variant
from review.permissions import Action, require
from review.services.activity import activity_record
from review.services.job_kinds import review_clip_queue
from review.services.media import deleted_on_error, image_check, sha256_of, upload_probe, upload_size_check
from review.services.shots import shot_move

logger = logging.getLogger(__name__)

# Where a newly published variant sends the shot: the first variant opens the review, a new one after
# changes were requested reopens it.
_REVIEW_OPENS_FROM = {ShotStatus.WAITING, ShotStatus.TRAINING, ShotStatus.CHANGES_REQUESTED}


def _fingerprint(**fields: Any) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def variant_publish(*, shot: Shot, actor: Any, kind: str, label: str, clip: UploadedFile,
                    idempotency_key: str | None = None, model_name: str = "", checkpoint: str = "",
                    faceset: dict | None = None, performance: dict | None = None, qc: list | None = None,
                    thumbnail: UploadedFile | None = None, filmstrip: UploadedFile | None = None,
                    filmstrip_layout: dict | None = None, metrics: dict | None = None) -> tuple[Variant, bool]:
    """Publish a variant of `shot` (its clip, optionally a thumbnail and a filmstrip sprite); returns
    (variant, created). created is False for a replayed publish."""
    require(actor, shot.sequence.project_id, Action.VARIANT_PUBLISH)
    images = {name: upload for name, upload in (("thumbnail", thumbnail), ("filmstrip", filmstrip)) if upload}
    for upload in (clip, *images.values()):
        upload_size_check(upload.size, what=f"{upload.name!r}")
    digest = sha256_of(clip)
    fingerprint = _fingerprint(kind=kind, label=label, clip=digest, model_name=model_name, checkpoint=checkpoint,
                               faceset=faceset or {}, performance=performance or {}, qc=qc or [],
                               images={n: sha256_of(u) for n, u in images.items()},
                               filmstrip_layout=filmstrip_layout or {}, metrics=metrics or {})
    if idempotency_key:
        replay = _replay(shot=shot, key=idempotency_key, fingerprint=fingerprint)
        if replay is not None:
            return replay, False
    info = upload_probe(clip)
    formats = {name: image_check(upload) for name, upload in images.items()}
    if info.frames != shot.frame_count:
        raise UploadRejected(f"{clip.name}: the clip has {info.frames} frames but shot {shot} has {shot.frame_count} "
                             f"({shot.frame_start}-{shot.frame_end}); publish a clip of the whole shot")
    if info.fps != shot.fps:
        raise UploadRejected(f"{clip.name}: the clip runs at {info.fps.numerator}/{info.fps.denominator} fps, shot "
                             f"{shot} at {shot.fps_num}/{shot.fps_den}; never retime, re-encode at the shot's rate")
    variant = Variant(shot=shot, kind=kind, label=label, model_name=model_name, checkpoint=checkpoint,
                      faceset=faceset or {}, performance=performance or {}, qc=qc or [], metrics=metrics or {},
                      clip_frames=info.frames, clip_bytes=clip.size, clip_sha256=digest,
                      filmstrip_layout=filmstrip_layout or {},
                      idempotency_key=idempotency_key or None, request_fingerprint=fingerprint, published_by=actor)
    with deleted_on_error() as stored:
        variant.clip.save(f"clip{info.suffix}", clip, save=False)
        stored.append(variant.clip.name)
        for name, upload in images.items():
            getattr(variant, name).save(f"{name}.{formats[name]}", upload, save=False)
            stored.append(getattr(variant, name).name)
    try:
        with transaction.atomic():
            variant.full_clean(validate_constraints=False)
            variant.save()
            if shot.status in _REVIEW_OPENS_FROM:
                shot_move(shot=shot, to=ShotStatus.IN_REVIEW, actor=actor, reason=f"variant {label} published")
            activity_record(shot=shot, actor=actor, verb="variant.published",
                            summary=f"{shot}: variant {label} ({kind}) published, {info.frames} frames",
                            data={"variant": variant.id},
                            message={"type": "variant.published", "variant": variant.id, "label": label})
            if not images:  # a bare clip: a job makes its review clip, thumbnail and filmstrip
                review_clip_queue(variant=variant, actor=actor)
    except IntegrityError:
        _delete(stored)
        replay = _replay(shot=shot, key=idempotency_key, fingerprint=fingerprint) if idempotency_key else None
        if replay is not None:  # the same publish raced itself: the first one won
            return replay, False
        raise Conflict(f"shot {shot} already has a variant labelled {label!r}; choose another label") from None
    except BaseException:
        _delete(stored)
        raise
    logger.info("published variant %s of %s", label, shot)
    return variant, True


def _delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _replay(*, shot: Shot, key: str, fingerprint: str) -> Variant | None:
    existing = Variant.objects.filter(shot=shot, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise Conflict(f"Idempotency-Key {key!r} was already used for a different publish on shot {shot} "
                       f"(variant {existing.label!r}); use a new key for a new variant")
    return existing
