"""Publishing a variant: the clip is checked by content, stored under a server-chosen name, and a retried
publish (same Idempotency-Key) returns the variant it already made instead of making a second one. A variant
a site job converted is published in-process and, converted again, replaced in place."""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from pipeline.media.review import read_filmstrip_layout
from review.choices import JobKind, ShotStatus
from review.errors import Conflict, UploadRejected
from review.jobs.runner import job_create
from review.models import Shot, Variant
from review.permissions import Action, require
from review.services.activity import activity_record
from review.services.media import ClipInfo, deleted_on_error, image_check, sha256_of, upload_probe, upload_size_check
from review.services.shots import shot_move

logger = logging.getLogger(__name__)

# Where a newly published variant sends the shot: the first variant opens the review, a new one after
# changes were requested reopens it.
_REVIEW_OPENS_FROM = {ShotStatus.WAITING, ShotStatus.TRAINING, ShotStatus.CHANGES_REQUESTED}


def _fingerprint(*, kind: str, label: str, clip_sha256: str, images: dict[str, UploadedFile], model_name: str = "",
                 checkpoint: str = "", faceset: dict | None = None, performance: dict | None = None,
                 qc: list | None = None, filmstrip_layout: dict | None = None, metrics: dict | None = None) -> str:
    """What a publish asked for, as one digest: a replayed (or re-converted) identical publish has the same."""
    fields = {"kind": kind, "label": label, "clip": clip_sha256, "model_name": model_name, "checkpoint": checkpoint,
              "faceset": faceset or {}, "performance": performance or {}, "qc": qc or [],
              "images": {n: sha256_of(u) for n, u in images.items()}, "filmstrip_layout": filmstrip_layout or {},
              "metrics": metrics or {}}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def variant_publish(*, shot: Shot, actor: Any, kind: str, label: str, clip: UploadedFile,
                    idempotency_key: str | None = None, model_name: str = "", checkpoint: str = "",
                    faceset: dict | None = None, performance: dict | None = None, qc: list | None = None,
                    thumbnail: UploadedFile | None = None, filmstrip: UploadedFile | None = None,
                    filmstrip_layout: dict | None = None, metrics: dict | None = None,
                    role_checked: bool = False) -> tuple[Variant, bool]:
    """Publish a variant of `shot` (its clip, optionally a thumbnail and a filmstrip sprite); returns
    (variant, created). created is False for a replayed publish. `role_checked`: a site job publishes what
    it made, its requester's role checked when it was queued (`variant_converted_publish`)."""
    if not role_checked:
        require(actor, shot.sequence.project_id, Action.VARIANT_PUBLISH)
    images = {name: upload for name, upload in (("thumbnail", thumbnail), ("filmstrip", filmstrip)) if upload}
    for upload in (clip, *images.values()):
        upload_size_check(upload.size, what=f"{upload.name!r}")
    digest = sha256_of(clip)
    fingerprint = _fingerprint(kind=kind, label=label, clip_sha256=digest, images=images, model_name=model_name,
                               checkpoint=checkpoint, faceset=faceset, performance=performance, qc=qc,
                               filmstrip_layout=filmstrip_layout, metrics=metrics)
    if idempotency_key:
        replay = _replay(shot=shot, key=idempotency_key, fingerprint=fingerprint)
        if replay is not None:
            return replay, False
    info = _clip_of_shot(shot, clip)
    formats = {name: image_check(upload) for name, upload in images.items()}
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
                _review_clip_queue(variant=variant, actor=actor)
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


def _clip_of_shot(shot: Shot, clip: UploadedFile) -> ClipInfo:
    """The clip probed by content; refused unless it is exactly the shot's frames at its fps."""
    info = upload_probe(clip)
    if info.frames != shot.frame_count:
        raise UploadRejected(f"{clip.name}: the clip has {info.frames} frames but shot {shot} has {shot.frame_count} "
                             f"({shot.frame_start}-{shot.frame_end}); publish a clip of the whole shot")
    if info.fps != shot.fps:
        raise UploadRejected(f"{clip.name}: the clip runs at {info.fps.numerator}/{info.fps.denominator} fps, shot "
                             f"{shot} at {shot.fps_num}/{shot.fps_den}; never retime, re-encode at the shot's rate")
    return info


def variant_converted_publish(*, shot: Shot, actor: Any, kind: str, label: str, clip: File,
                              thumbnail: File | None = None, filmstrip: File | None = None,
                              **recipe: Any) -> tuple[Variant, bool]:
    """A variant a site conversion job made, published as `facereplace publish` would (no role check: the
    job's requester was checked when it was queued). Converted again, it replaces the shot's variant of that
    label in place (same id, so edits that pick it still do) instead of adding one; a conversion that made
    the same clip and recipe changes nothing. `recipe`: model_name, checkpoint, faceset, performance, qc,
    metrics, filmstrip_layout. Returns (variant, created)."""
    existing = Variant.objects.filter(shot=shot, label=label).first()
    if existing is None:
        return variant_publish(shot=shot, actor=actor, kind=kind, label=label, clip=clip, thumbnail=thumbnail,
                               filmstrip=filmstrip, role_checked=True, **recipe)
    return _variant_replace(variant=existing, actor=actor, kind=kind, clip=clip, thumbnail=thumbnail,
                            filmstrip=filmstrip, recipe=recipe), False


def _variant_replace(*, variant: Variant, actor: Any, kind: str, clip: File, thumbnail: File | None,
                     filmstrip: File | None, recipe: dict[str, Any]) -> Variant:
    shot = variant.shot
    images = {name: upload for name, upload in (("thumbnail", thumbnail), ("filmstrip", filmstrip)) if upload}
    digest = sha256_of(clip)
    fingerprint = _fingerprint(kind=kind, label=variant.label, clip_sha256=digest, images=images, **recipe)
    if variant.request_fingerprint == fingerprint:
        logger.info("variant %s of %s: converted again to the same clip and recipe; unchanged", variant.label, shot)
        return variant
    info = _clip_of_shot(shot, clip)
    formats = {name: image_check(upload) for name, upload in images.items()}
    with transaction.atomic():
        locked = Variant.objects.select_for_update().get(pk=variant.pk)
        old = [name for name in (locked.clip.name, locked.thumbnail.name, locked.filmstrip.name) if name]
        with deleted_on_error() as stored:
            locked.clip.save(f"clip{info.suffix}", clip, save=False)
            stored.append(locked.clip.name)
            for name in ("thumbnail", "filmstrip"):
                if name in images:
                    getattr(locked, name).save(f"{name}.{formats[name]}", images[name], save=False)
                    stored.append(getattr(locked, name).name)
                else:
                    setattr(locked, name, "")
            locked.kind, locked.clip_frames, locked.clip_bytes = kind, info.frames, clip.size
            locked.clip_sha256, locked.request_fingerprint = digest, fingerprint
            locked.model_name, locked.checkpoint = recipe.get("model_name", ""), recipe.get("checkpoint", "")
            for field, empty in (("faceset", {}), ("performance", {}), ("qc", []), ("metrics", {}),
                                 ("filmstrip_layout", {})):
                setattr(locked, field, recipe.get(field) or empty)
            locked.published_by = actor if getattr(actor, "is_authenticated", False) else locked.published_by
            locked.full_clean(validate_constraints=False)
            locked.save()
            if shot.status in _REVIEW_OPENS_FROM:
                shot_move(shot=shot, to=ShotStatus.IN_REVIEW, actor=actor,
                          reason=f"variant {locked.label} converted again")
            activity_record(shot=shot, actor=actor, verb="variant.replaced",
                            summary=f"{shot}: variant {locked.label} ({kind}) converted again, {info.frames} frames",
                            data={"variant": locked.id}, message={"type": "variant.updated", "variant": locked.id})
            if not images:
                _review_clip_queue(variant=locked, actor=actor)
        transaction.on_commit(lambda: _delete(old))
    logger.info("replaced variant %s of %s", locked.label, shot)
    return locked


def _review_clip_queue(*, variant: Variant, actor: Any) -> None:
    """Normalise a published clip that came without its review media (`review.jobs.kinds.review_clip`)."""
    job_create(shot=variant.shot, kind=JobKind.REVIEW_CLIP, variant=variant, actor=actor)


@transaction.atomic
def variant_review_media_attach(*, variant: Variant, mp4: Path, thumbnail: Path, filmstrip: Path,
                                layout: Path) -> Variant:
    """The normalised review clip, thumbnail and filmstrip (a review_clip job made them) replace the variant's
    uploaded media."""
    locked = Variant.objects.select_for_update().select_related("shot__sequence").get(pk=variant.pk)
    old = [name for name in (locked.clip.name, locked.thumbnail.name, locked.filmstrip.name) if name]
    with deleted_on_error() as stored:
        for field, path, name in (("clip", mp4, "clip.mp4"), ("thumbnail", thumbnail, "thumbnail.png"),
                                  ("filmstrip", filmstrip, "filmstrip.png")):
            with path.open("rb") as f:
                getattr(locked, field).save(name, File(f), save=False)
            stored.append(getattr(locked, field).name)
        locked.filmstrip_layout = read_filmstrip_layout(layout)
        locked.clip_bytes = mp4.stat().st_size
        locked.clip_sha256 = hashlib.sha256(mp4.read_bytes()).hexdigest()
        locked.full_clean(validate_constraints=False)
        locked.save()
    storage = locked.clip.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in old])
    shot = locked.shot
    activity_record(shot=shot, actor=None, verb="variant.review_clip",
                    summary=f"{shot}: variant {locked.label} has its review clip, thumbnail and filmstrip",
                    data={"variant": locked.id}, message={"type": "variant.updated", "variant": locked.id})
    return locked


def _delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _replay(*, shot: Shot, key: str, fingerprint: str) -> Variant | None:
    existing = Variant.objects.filter(shot=shot, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise Conflict(f"Idempotency-Key {key!r} was already used for a different publish on shot {shot} "
                       f"(variant {existing.label!r}); use a new key for a new variant")
    return existing
