"""The publish stage: a shot's plate and variant review clips go to the review site."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError
from pipeline.publish.client import SiteClient, SiteError
from pipeline.publish.variant import VARIANT_FILE, variants_of
from pipeline.shot import ShotLayout, load_shot

logger = logging.getLogger(__name__)

REFUSALS_OF_ONE_VARIANT = frozenset({400, 409, 413})  # that variant's clip or label; the others may still go


@dataclass(frozen=True)
class PublishConfig:
    site: str
    token: str
    project: str
    sequence: str = "main"
    code: str | None = None  # default: the shot's name in shot.toml
    retries: int = 5


@dataclass
class PublishResult:
    shot_id: int
    shot_url: str
    plate: bool = False
    # (label, site id, version, newly created): new content is the label's next version on the site
    variants: list[tuple[str, int, int, bool]] = field(default_factory=list)


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
        logger.info("%s variant %s v%03d (site id %s)", "published" if created else "already published", v.label,
                    published["version"], published["id"])
        result.variants.append((v.label, published["id"], published["version"], created))
    if refused:  # the others went through; say which did not and why
        raise SiteError(f"{len(refused)} of {len(variants)} variant(s) not published "
                        f"(the others are on {result.shot_url}):\n  " + "\n  ".join(refused))
    return result
