"""An engine shot a conversion job can convert without training: a small synthetic shot (with its truth) whose
[[variants]] "tiny" and "retrained" convert with freshly initialised loose models (real networks, untrained)."""
from __future__ import annotations

from pathlib import Path

CONVERT = ('\n[convert]\nmotion_blur = false\nreview_clip = true\n\n[[variants]]\nname = "tiny"\nmodel = "loose"\n'
           'checkpoint = "model"\n\n[[variants]]\nname = "retrained"\nmodel = "loose"\ncheckpoint = "model2"\n')


def save_loose_model(folder: Path, seed: int) -> None:
    """A small loose model, freshly initialised with `seed`."""
    import torch

    from pipeline.models import create_model
    from pipeline.train.checkpoint import save_checkpoint

    torch.manual_seed(seed)
    model = create_model("loose", size=64)
    save_checkpoint(folder, {
        "stage": "fit", "step": 0, "complete": True, "model": model.spec, "config": {},
        "manifest_hash": "", "facesets": {}, "metrics": {"loss": None, "losses": []},
        "model_state": model.state_dict(), "optimizer_state": None, "scaler_state": None, "latent_bank": None})


def make_engine_shot(shot_dir: Path, *, frames: int) -> Path:
    """The pirouette preset at 64 px, `frames` frames from 1001 at 24 fps (a site shot's defaults)."""
    from pipeline.synth.stage import SynthConfig
    from pipeline.synth.stage import run as synth

    shot_dir = synth(SynthConfig(preset="pirouette", size=64, frames=frames, first_frame=1001, fps="24"), shot_dir)
    (shot_dir / "shot.toml").write_text((shot_dir / "shot.toml").read_text() + CONVERT)
    save_loose_model(shot_dir / "model", seed=0)
    save_loose_model(shot_dir / "model2", seed=0)
    return shot_dir
