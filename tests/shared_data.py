"""Where the shared reference data lives (the real seeds, report samples and PDFs of ``shared/``)
that tests and benchmarks read: ``$NIANBAO_SHARED``, else ``shared/`` beside the repository (as in
CI, where the repository is checked out next to it)."""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("NIANBAO_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
SAMPLES = SHARED / "samples"
SEEDS = SHARED / "seeds"
