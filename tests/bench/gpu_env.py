"""The requirements `make bench-gpu` still has to install into an environment that already holds a CUDA build of
torch (a GPU node's image, a venv made with --system-site-packages over it): every dependency of the project
and its test extra that is not installed at all, with its pin. An installed one counts whatever its version: above
all torch, whose build on a GPU node matches its driver where PyPI's pinned one may not."""
from __future__ import annotations

import re
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


if __name__ == "__main__":
    print("\n".join(missing()))
