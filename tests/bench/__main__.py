"""`python -m tests.bench [NAME ...]`: run the benchmarks and write bench-report/."""
from __future__ import annotations

import sys

from tests.bench import main

sys.exit(main(sys.argv[1:]))
