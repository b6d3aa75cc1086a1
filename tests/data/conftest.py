"""Real data for the data tests, copied so a test can never alter the shared original."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# CFPB Consumer Complaint Database (US federal public data), via
# elderflamevandle/Consumer-Complaints-Classification-Agentic-Pipeline, data/demos_25.csv.
CFPB = Path("/work/shared/data/cfpb-complaints/demos_25.csv")


@pytest.fixture
def complaints_csv(tmp_path: Path) -> Path:
    path = tmp_path / "complaints.csv"
    shutil.copyfile(CFPB, path)
    return path
