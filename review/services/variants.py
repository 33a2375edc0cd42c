"""Publishing a variant: each publish of new content is the next version of its label (v001, v002...), the
earlier versions kept with their clips and QC. The clip is checked by content, stored under a server-chosen
name, and a retried publish (same Idempotency-Key, or the same content as the latest version) returns the
version it already made instead of making another. A variant a site job converted is published in-process."""
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
from django.db.models import Max

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
    """Publish the next version of variant `label` of `shot` (its clip, optionally a thumbnail and a filmstrip
    sprite); returns (variant version, created). Earlier versions stay as they were. created is False for a
    replayed publish (same Idempotency-Key) and for content the label's latest version already has: publishing
    the same thing twice makes no new version. `role_checked`: a site job publishes what it made, its
    requester's role checked when it was queued (`variant_converted_publish`)."""
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
    unchanged = _latest_if_same(shot=shot, label=label, fingerprint=fingerprint)
    if unchanged is not None:
        logger.info("variant %s of %s: published again with the content of %s; no new version", label, shot,
                    unchanged.version_name)
        return unchanged, False
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
            Shot.objects.select_for_update().filter(pk=shot.pk).first()  # versions are numbered one writer at a time
            variant.version = (Variant.objects.filter(shot=shot, label=label).aggregate(v=Max("version"))["v"] or 0) + 1
            variant.full_clean(validate_constraints=False)
            variant.save()
            name = f"{label} {variant.version_name}"
            if shot.status in _REVIEW_OPENS_FROM:
                shot_move(shot=shot, to=ShotStatus.IN_REVIEW, actor=actor, reason=f"variant {name} published")
            activity_record(shot=shot, actor=actor, verb="variant.published",
                            summary=f"{shot}: variant {name} ({kind}) published, {info.frames} frames",
                            data={"variant": variant.id, "version": variant.version},
                            message={"type": "variant.published", "variant": variant.id, "label": label,
                                     "version": variant.version})
            if not images:  # a bare clip: a job makes its review clip, thumbnail and filmstrip
                _review_clip_queue(variant=variant, actor=actor)
    except IntegrityError:
        _delete(stored)
        replay = _replay(shot=shot, key=idempotency_key, fingerprint=fingerprint) if idempotency_key else None
        if replay is not None:  # the same publish raced itself: the first one won
            return replay, False
        raise Conflict(f"variant {label!r} of shot {shot} was published by someone else at the same moment; "
                       "publish again") from None
    except BaseException:
        _delete(stored)
        raise
    logger.info("published variant %s %s of %s", label, variant.version_name, shot)
    return variant, True


def _latest_if_same(*, shot: Shot, label: str, fingerprint: str) -> Variant | None:
    """The label's latest version when it was published with exactly this content and recipe, else None."""
    latest = Variant.objects.filter(shot=shot, label=label).order_by("-version").first()
    return latest if latest is not None and latest.request_fingerprint == fingerprint else None


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
    job's requester was checked when it was queued): converted again to new content, it is the label's next
    version, and the earlier versions (and the edits that pin them) stay; a conversion that made the same clip
    and recipe as the latest version adds none. `recipe`: model_name, checkpoint, faceset, performance, qc,
    metrics, filmstrip_layout. Returns (variant version, created)."""
    return variant_publish(shot=shot, actor=actor, kind=kind, label=label, clip=clip, thumbnail=thumbnail,
                           filmstrip=filmstrip, role_checked=True, **recipe)


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
                    summary=f"{shot}: variant {locked.label} {locked.version_name} has its review clip, thumbnail and filmstrip",
                    data={"variant": locked.id},
                    message={"type": "variant.updated", "variant": locked.id, "version": locked.version})
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
