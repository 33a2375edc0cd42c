"""The publish stage: a shot's plate and variant review clips go to the review site."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.artifacts import read_manifest
from pipeline.errors import InputError
from pipeline.media.review import FILMSTRIP_KIND, FILMSTRIP_VERSION, review_paths
from pipeline.models.registry import list_models
from pipeline.publish.client import SiteClient, SiteError
from pipeline.shot import ShotLayout, load_shot

logger = logging.getLogger(__name__)

MANIFEST_KIND = "review_variant"
MANIFEST_VERSIONS = (1,)
VARIANT_KINDS = (*list_models(), "other")  # a variant's kind on the site: its model's name, or other
VARIANT_FILE = "variant.json"
REFUSALS_OF_ONE_VARIANT = frozenset({400, 409, 413})  # that variant's clip or label; the others may still go


@dataclass(frozen=True)
class PublishConfig:
    site: str
    token: str
    project: str
    sequence: str = "main"
    code: str | None = None  # default: the shot's name in shot.toml
    retries: int = 5


@dataclass(frozen=True)
class VariantToPublish:
    label: str
    kind: str
    files: dict[str, Path]  # "clip", and "thumbnail" / "filmstrip" when make_review_clip wrote them
    fields: dict[str, Any]


@dataclass
class PublishResult:
    shot_id: int
    shot_url: str
    plate: bool = False
    variants: list[tuple[str, int, bool]] = field(default_factory=list)  # (label, site id, newly created)


def variants_of(shot_dir: Path) -> list[VariantToPublish]:
    """The variants under review/variants/, checked before anything is uploaded."""
    folder = ShotLayout(shot_dir).review_variants
    manifests = sorted(folder.glob(f"*/{VARIANT_FILE}")) if folder.is_dir() else []
    return [read_variant(path) for path in manifests]


def read_variant(path: Path) -> VariantToPublish:
    """One variant's review/variants/NAME/variant.json, checked: what the site is sent for it (also what a
    site job publishes in-process after a conversion)."""
    data = read_manifest(path, kind=MANIFEST_KIND, versions=MANIFEST_VERSIONS)
    label, kind, clip = data.get("label"), data.get("variant_kind"), data.get("clip")
    if not isinstance(label, str) or not label.strip():
        raise InputError(f"{path}: 'label' must be a non-empty string")
    if kind not in VARIANT_KINDS:
        raise InputError(f"{path}: 'variant_kind' is {kind!r}; use one of {', '.join(VARIANT_KINDS)}")
    if not isinstance(clip, str) or not (path.parent / clip).is_file():
        raise InputError(f"{path}: its review clip {clip!r} is missing beside it; rerun the convert stage")
    qc = data.get("qc", [])
    if not isinstance(qc, list) or not all(isinstance(r, dict) and isinstance(r.get("frame"), int) for r in qc):
        raise InputError(f"{path}: 'qc' must be a list of objects each with an integer 'frame'")
    try:  # the site takes strict JSON: a NaN (a broken frame's score) must be found here, not refused there
        json.dumps({"qc": qc, "metrics": data.get("metrics", {})}, allow_nan=False)
    except ValueError:
        raise InputError(f"{path}: its QC or metrics hold a non-finite number (NaN or infinity); rerun the "
                         "stage that wrote it (a NaN usually means a broken input frame)") from None
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise InputError(f"{path}: 'metrics' must be an object (e.g. {{\"eval\": ...}})")
    fields = {"model_name": data.get("model", ""), "checkpoint": data.get("checkpoint", ""),
              "faceset": data.get("faceset", {}), "performance": data.get("performance", {}), "qc": qc,
              "metrics": metrics}
    mp4, thumbnail, filmstrip, layout = review_paths(path.parent / clip)
    files = {"clip": mp4, **{k: p for k, p in (("thumbnail", thumbnail), ("filmstrip", filmstrip)) if p.is_file()}}
    if "filmstrip" in files and layout.is_file():
        fields["filmstrip_layout"] = read_manifest(layout, kind=FILMSTRIP_KIND, versions=(FILMSTRIP_VERSION,))
    return VariantToPublish(label=label, kind=kind, files=files, fields=fields)


def run(config: PublishConfig, shot_dir: str | Path) -> PublishResult:
    """Find or create the shot on the site, then publish the plate clip (if any) and every variant."""
    shot_dir = Path(shot_dir)
    layout = ShotLayout(shot_dir)
    shot = load_shot(layout.shot_file)
    variants = variants_of(shot_dir)
    plate = layout.plate_clip
    if not variants and not plate.is_file():
        raise InputError(f"{shot_dir}: nothing to publish: no {plate} and no {layout.review_variants}/*/{VARIANT_FILE}")
    client = SiteClient(config.site, config.token, retries=config.retries)
    code = config.code or shot.name
    site_shot = client.shot_find_or_create(project=config.project, sequence=config.sequence, code=code,
                                           first_frame=shot.first_frame, last_frame=shot.last_frame, fps=shot.fps)
    result = PublishResult(shot_id=site_shot["id"], shot_url=f"{client.base_url}shots/{site_shot['id']}/")
    if plate.is_file():
        client.plate_publish(shot_id=result.shot_id, clip=plate)
        result.plate = True
    refused: list[str] = []
    for v in variants:
        try:
            published, created = client.variant_publish(shot_id=result.shot_id, label=v.label, kind=v.kind,
                                                        files=v.files, fields=v.fields)
        except SiteError as exc:
            if exc.status not in REFUSALS_OF_ONE_VARIANT:
                raise
            refused.append(str(exc))
            continue
        logger.info("%s variant %s (site id %s)", "published" if created else "already published", v.label,
                    published["id"])
        result.variants.append((v.label, published["id"], created))
    if refused:  # the others went through; say which did not and why
        raise SiteError(f"{len(refused)} of {len(variants)} variant(s) not published "
                        f"(the others are on {result.shot_url}):\n  " + "\n  ".join(refused))
    return result


def attach_metrics(shot_dir: str | Path, variant: str, metrics: dict[str, Any]) -> Path:
    """Add `metrics` (e.g. {"eval": facereplace eval's per-yaw-bin table}) to a variant before it is published."""
    from pipeline.artifacts import write_manifest

    path = ShotLayout(Path(shot_dir)).review_variant(variant) / VARIANT_FILE
    data = read_manifest(path, kind=MANIFEST_KIND, versions=MANIFEST_VERSIONS)
    fields = {k: v for k, v in data.items() if k not in ("kind", "schema_version")}
    fields["metrics"] = {**fields.get("metrics", {}), **metrics}
    return write_manifest(path, kind=MANIFEST_KIND, version=data["schema_version"], data=fields)
