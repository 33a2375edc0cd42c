"""Where the site finds a shot's folders on the engine's storage (FACEREPLACE_ENGINE_ROOT), and which models an
engine run trains: shared by the engine and conversion jobs, the render's comp, and the forms that queue them."""
from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from pipeline.models.registry import list_models
from review.models import Shot
from review.paths import path_inside

ENGINE_VARIANTS = tuple(list_models())  # what an engine run trains and converts: a variant of each model

FOLDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def engine_folder(shot: Shot, *names: str) -> Path:
    """The shot's folder on the engine's storage (FACEREPLACE_ENGINE_ROOT/project/sequence/shot), or a folder
    `names` inside it; refused (ValidationError) unless it stays inside FACEREPLACE_ENGINE_ROOT."""
    sequence = shot.sequence
    return path_inside(settings.FACEREPLACE_ENGINE_ROOT, sequence.project.code, sequence.code, shot.code, *names,
                       setting="FACEREPLACE_ENGINE_ROOT")
