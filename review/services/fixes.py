"""Frame fixes: images an artist paints for frames the pick gets wrong; the supervisor accepts or rejects them."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from review.choices import FrameFixState
from review.models import FrameFix, FrameFixImage, Shot
from review.permissions import Action, require
from review.services.activity import activity_record
from review.services.media import deleted_on_error, image_check, upload_size_check
from review.services.notifications import notify
from review.services.renders import render_requeue_for_fix

_TRAILING_FRAME = re.compile(r"(\d+)\.[A-Za-z0-9]+$")


def _frames_for(files: Sequence[UploadedFile], frame_start: int, frame_end: int) -> list[int]:
    """Frame of each image: the number ending its file name (head.1012.png), else consecutive from the start."""
    numbered = [_TRAILING_FRAME.search(f.name or "") for f in files]
    if all(numbered) and all(frame_start <= int(m.group(1)) <= frame_end for m in numbered):
        frames = [int(m.group(1)) for m in numbered]
    else:
        frames = list(range(frame_start, frame_start + len(files)))
    if len(set(frames)) != len(frames) or frames[-1] > frame_end:
        raise ValidationError({"files": f"{len(files)} image(s) do not map one-to-one onto frames "
                                        f"{frame_start}-{frame_end}; name them by frame (fix.1012.png)"})
    return frames


@transaction.atomic
def fix_create(*, shot: Shot, actor: Any, frame_start: int, frame_end: int, files: Sequence[UploadedFile],
               comment: str = "") -> FrameFix:
    require(actor, shot.sequence.project_id, Action.FIX_CREATE)
    if not files:
        raise ValidationError({"files": "a frame fix needs at least one image"})
    fix = FrameFix(shot=shot, frame_start=frame_start, frame_end=frame_end, comment=comment, author=actor)
    fix.full_clean()
    formats = []
    for upload in files:
        upload_size_check(upload.size, what=f"image {upload.name!r}")
        formats.append(image_check(upload))
    frames = _frames_for(files, frame_start, frame_end)
    fix.save()
    with deleted_on_error() as stored:
        for frame, upload, fmt in zip(frames, files, formats):
            image = FrameFixImage(fix=fix, frame=frame)
            image.file.save(f"fix.{fmt}", upload, save=False)
            stored.append(image.file.name)
            image.save()
    activity_record(shot=shot, actor=actor, verb="fix.created",
                    summary=f"{shot}: {len(files)} frame fix image(s) for {frame_start}-{frame_end} by {actor}",
                    data={"fix": fix.id}, message={"type": "fix.created", "fix": fix.id})
    return fix


@transaction.atomic
def fix_review(*, fix: FrameFix, actor: Any, state: str, comment: str = "") -> FrameFix:
    shot = fix.shot
    require(actor, shot.sequence.project_id, Action.FIX_REVIEW)
    if state not in (FrameFixState.ACCEPTED, FrameFixState.REJECTED):
        raise ValidationError({"state": "a fix is accepted or rejected"})
    fix.state = state
    if comment:
        fix.comment = (fix.comment + "\n" if fix.comment else "") + comment
    fix.full_clean()
    fix.save(update_fields=["state", "comment"])
    activity_record(shot=shot, actor=actor, verb=f"fix.{state}",
                    summary=f"{shot}: frame fix {fix.frame_start}-{fix.frame_end} {state} by {actor}",
                    data={"fix": fix.id}, message={"type": "fix.updated", "fix": fix.id, "state": state})
    notify(users=[fix.author], shot=shot, actor=actor, verb=f"fix.{state}",
           summary=f"{shot}: your frame fix {fix.frame_start}-{fix.frame_end} was {state} by {actor}"
                   + (f": {comment}" if comment else ""))
    if state == FrameFixState.ACCEPTED:
        render_requeue_for_fix(shot=shot, actor=actor)
    return fix
