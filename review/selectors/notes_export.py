"""A shot's notes for people who never open the site: CSV (read back by the importer), a PDF with each note's frame
and drawing, and OpenTimelineIO markers on the shot's edit (any OTIO-reading editorial tool opens it)."""
from __future__ import annotations

import contextlib
import csv
import io
import logging
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from review.models import Edit, Note, Shot, Variant

log = logging.getLogger(__name__)

# The export's columns, in order; the importer reads these names (and other tools' aliases, see notes_import).
CSV_COLUMNS = ("frame", "frame_end", "timecode", "text", "author", "variant", "resolved", "created")
PDF_FRAME_HEIGHT = 720  # the frame is embedded at most this tall (pixels): sharp on paper, small files


def shot_notes(shot: Shot) -> list[Note]:
    """The shot's notes (not replies) in frame order, with what the exports show."""
    return list(Note.objects.filter(shot=shot, parent__isnull=True).select_related("author", "variant")
                .order_by("frame_start", "created", "id"))


def shot_rate(shot: Shot) -> float:
    return float(Fraction(shot.fps_num, shot.fps_den))


def frame_timecode(frame: int, rate: float) -> str:
    """The frame number as SMPTE timecode at the shot's rate (frame 1001 at 24 fps is 00:00:41:17)."""
    import opentimelineio as otio

    return otio.opentime.to_timecode(otio.opentime.RationalTime(frame, rate), rate)


def notes_csv(shot: Shot) -> str:
    """One row per note: frame range, timecode of its first frame, text, author's username, variant label."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rate = shot_rate(shot)
    for note in shot_notes(shot):
        writer.writerow([note.frame_start, note.frame_end, frame_timecode(note.frame_start, rate), note.text,
                         note.author.username if note.author else "", note.variant.label if note.variant else "",
                         "yes" if note.resolved else "no", note.created.isoformat(timespec="seconds")])
    return out.getvalue()


def notes_otio(shot: Shot) -> str:
    """The shot's edit (its latest pick, else the plate) as an OTIO timeline, each note a marker over its frames."""
    import opentimelineio as otio

    rate = shot_rate(shot)
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    timeline = otio.schema.Timeline(name=str(shot), global_start_time=RT(shot.frame_start, rate))
    track = otio.schema.Track(name="edit", kind=otio.schema.TrackKind.Video)
    edit = Edit.objects.filter(shot=shot).order_by("-version").first()
    labels = dict(Variant.objects.filter(shot=shot).values_list("id", "label"))
    segments = edit.segments if edit else [{"variant": None, "frame_start": shot.frame_start,
                                            "frame_end": shot.frame_end}]
    for seg in segments:
        name = labels.get(seg["variant"], "plate")
        clip = otio.schema.Clip(name=f"{name} {seg['frame_start']}-{seg['frame_end']}", source_range=TR(
            RT(seg["frame_start"], rate), RT(seg["frame_end"] - seg["frame_start"] + 1, rate)))
        clip.metadata["facereplace"] = {"variant": seg["variant"], "edit_version": edit.version if edit else None}
        track.append(clip)
    for note in shot_notes(shot):
        marker = otio.schema.Marker(
            name=f"{note.author.username if note.author else 'note'} {note.frame_start}",
            marked_range=TR(RT(note.frame_start - shot.frame_start, rate), RT(note.frame_end - note.frame_start + 1, rate)),
            color=otio.schema.MarkerColor.GREEN if note.resolved else otio.schema.MarkerColor.RED, comment=note.text)
        marker.metadata["facereplace"] = {
            "note": note.id, "frame_start": note.frame_start, "frame_end": note.frame_end,
            "author": note.author.username if note.author else "", "resolved": note.resolved,
            "variant": note.variant.label if note.variant else None}
        track.markers.append(marker)
    timeline.tracks.append(track)
    return otio.adapters.write_to_string(timeline, "otio_json")


def notes_pdf(shot: Shot) -> bytes:
    """One A4 landscape page per note: the note's frame (from its variant's review clip, else the plate clip) with
    its drawing composited on it, then who wrote what. A note without a clip to show gets a grey frame that says so."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    notes = shot_notes(shot)
    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": f"Notes on {shot}", "Creator": "facereplace review"}) as pdf, \
            _FrameSource(shot) as frames:
        if not notes:
            notes_page = Figure(figsize=(11.69, 8.27))
            notes_page.text(0.5, 0.5, f"{shot}: no notes", ha="center", va="center", fontsize=16)
            pdf.savefig(notes_page)
        for note in notes:
            picture, source = frames.frame(note)
            picture = draw_strokes(picture, note.drawing)
            page = Figure(figsize=(11.69, 8.27))
            axes = page.add_axes((0.05, 0.25, 0.9, 0.68))
            axes.imshow(picture, interpolation="none")
            axes.set_axis_off()
            frames_text = (f"{note.frame_start}" if note.frame_start == note.frame_end
                           else f"{note.frame_start}-{note.frame_end}")
            page.text(0.05, 0.955, f"{shot} · frame {frames_text} ({frame_timecode(note.frame_start, shot_rate(shot))})"
                      f" · {source}", fontsize=12, weight="bold")
            author = note.author.username if note.author else "unknown"
            status = "resolved" if note.resolved else "open"
            body = "\n".join(textwrap.fill(_printable(line), 130) for line in note.text.splitlines() or [""])
            page.text(0.05, 0.2, f"{author}, {note.created:%Y-%m-%d %H:%M} · {status}", fontsize=10, style="italic")
            page.text(0.05, 0.17, body, fontsize=11, va="top")
            pdf.savefig(page)
    return out.getvalue()


def _printable(text: str) -> str:
    """The text without characters that have no glyph to print (control and private-use characters pasted in with
    a note): the PDF's font draws each as an empty box."""
    return "".join(ch for ch in text if ch.isprintable())


def draw_strokes(picture: np.ndarray, drawing: dict | None) -> np.ndarray:
    """The frame (HxWx3 uint8) with the note's strokes drawn on it: points are 0..1 of the frame, width a fraction
    of its height, as the player draws them."""
    import cv2

    out = np.ascontiguousarray(picture).copy()
    height, width = out.shape[:2]
    for stroke in (drawing or {}).get("strokes", []):
        points = np.round(np.asarray(stroke["points"], np.float64).reshape(-1, 2) * (width, height)).astype(np.int32)
        if not len(points):
            continue
        colour = _rgb(stroke.get("color"))
        thickness = max(1, round(float(stroke.get("width") or 0.004) * height))
        if len(points) == 1:
            cv2.circle(out, tuple(int(v) for v in points[0]), thickness, colour, -1, cv2.LINE_AA)
        else:
            cv2.polylines(out, [points], False, colour, thickness, cv2.LINE_AA)
        if stroke.get("text"):
            cv2.putText(out, str(stroke["text"]), tuple(int(v) for v in points[-1]), cv2.FONT_HERSHEY_SIMPLEX,
                        max(0.4, height / 900), colour, max(1, thickness // 2), cv2.LINE_AA)
    return out


def _rgb(colour: Any) -> tuple[int, int, int]:
    text = str(colour or "#ff3b30").lstrip("#")
    try:
        return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return (255, 59, 48)


class _FrameSource:
    """Frames of the shot's clips by plate frame number, each clip opened once and its local copy removed after."""

    def __init__(self, shot: Shot) -> None:
        self.shot = shot
        self.stack = contextlib.ExitStack()
        self.clips: dict[str, Any] = {}

    def __enter__(self) -> _FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def frame(self, note: Note) -> tuple[np.ndarray, str]:
        """(HxWx3 uint8 frame, where it came from) for the note's first frame."""
        candidates = []
        if note.variant and note.variant.clip:
            candidates.append((f"variant {note.variant.label}", note.variant.clip))
        if self.shot.plate_clip:
            candidates.append(("plate", self.shot.plate_clip))
        for label, field in candidates:
            clip = self._clip(label, field)
            if clip is not None and note.frame_start in clip.frame_range:
                return _fit(clip.read_srgb8(note.frame_start)), label
        return np.full((PDF_FRAME_HEIGHT * 9 // 16, PDF_FRAME_HEIGHT, 3), 96, np.uint8), "no clip of this frame"

    def _clip(self, label: str, field: Any) -> Any:
        from pipeline.errors import MediaError
        from pipeline.media.clip import open_clip

        if label not in self.clips:
            try:
                path = self.stack.enter_context(_local_file(field))
                self.clips[label] = self.stack.enter_context(open_clip(
                    path, first_frame=self.shot.frame_start, fps=Fraction(self.shot.fps_num, self.shot.fps_den)))
            except (MediaError, OSError) as exc:  # a missing or broken clip leaves the page without its frame
                log.warning("notes PDF of %s: %s clip %s cannot be read: %s", self.shot, label, field.name, exc)
                self.clips[label] = None
        return self.clips[label]


def _fit(picture: np.ndarray) -> np.ndarray:
    import cv2

    height, width = picture.shape[:2]
    if height <= PDF_FRAME_HEIGHT:
        return picture
    return cv2.resize(picture, (round(width * PDF_FRAME_HEIGHT / height), PDF_FRAME_HEIGHT), interpolation=cv2.INTER_AREA)


@contextlib.contextmanager
def _local_file(field: Any) -> Iterator[Path]:
    """A stored file as a local path: the file itself on local storage, else a temporary copy (S3)."""
    try:
        local = Path(field.path)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    suffix = Path(field.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp, field.open("rb") as source:
        shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


EXPORT_FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "pdf": ("application/pdf", "pdf"),
                  "otio": ("application/json", "otio")}


def notes_export(shot: Shot, fmt: str) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the shot's notes in `fmt` (csv, pdf or otio); a ValueError names the
    formats for another."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"no notes export {fmt!r}; ask for one of {', '.join(EXPORT_FORMATS)}")
    content_type, suffix = EXPORT_FORMATS[fmt]
    body = {"csv": lambda: notes_csv(shot).encode(), "pdf": lambda: notes_pdf(shot),
            "otio": lambda: notes_otio(shot).encode()}[fmt]()
    name = f"{shot.sequence.project.code}_{shot.sequence.code}_{shot.code}_notes.{suffix}"
    return body, content_type, name
