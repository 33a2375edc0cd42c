"""`make bench-gpu`'s set-up. By default: the requirements it still has to install into an environment that
already holds a CUDA build of torch (a GPU node's image, a venv over it): every dependency of the project and its
test extra that is not installed at all, with its pin. An installed one counts whatever its version: above all
torch, whose build on a GPU node matches its driver where PyPI's pinned one may not. With --check-cuda: that the
environment's torch sees the GPU, else an error saying what to do."""
from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def missing() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    out = []
    for requirement in wanted:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            out.append(requirement)
    return out


def check_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        sys.exit(f"error: torch {torch.__version__} here has no CUDA; install the build for the driver nvidia-smi "
                 "shows (https://download.pytorch.org/whl/) into this environment")
    print(f"torch {torch.__version__} sees {torch.cuda.get_device_name(0)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check-cuda"]:
        check_cuda()
    else:
        print("\n".join(missing()))
