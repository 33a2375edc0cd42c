"""The renderer and torch share a process (the demo, a site worker): neither may crash the other."""
from __future__ import annotations

import subprocess
import sys


def test_torch_compiler_stack_loads_after_a_gl_render():
    code = (
        "from pipeline.cg.render import Renderer\n"
        "Renderer(32, 32)\n"
        "import torch\n"
        "torch.use_deterministic_algorithms(True)\n"  # imports torch._dynamo, and with it triton
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert result.stdout.strip() == "ok"
