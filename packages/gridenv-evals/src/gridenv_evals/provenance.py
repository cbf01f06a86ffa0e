"""What every results file starts with, whatever its protocol: which suite (version and digest), which engine, which
policy. A result without it cannot be compared or cited, so every results model derives from ``Provenance``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

import gridenv
from gridenv_evals.suites import Suite, suite_digest

SCHEMA_VERSION = 1


class ResultModel(BaseModel):
    """Strict: unknown fields are refused, so a damaged or foreign file is named, not half-read."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Provenance(ResultModel):
    schema_version: Literal[1] = SCHEMA_VERSION
    suite: str
    suite_version: int
    suite_digest: str
    gridenv_version: str
    engine_fingerprint: str
    policy: str


def provenance(suite: Suite, uri: str) -> dict[str, object]:
    """The provenance fields of a result of ``uri`` on ``suite`` (its pinned digest)."""
    digest = suite_digest(suite)
    return {"suite": suite.name, "suite_version": suite.version, "suite_digest": digest,
            "gridenv_version": gridenv.__version__, "engine_fingerprint": f"gridenv-{gridenv.__version__}/{digest[:16]}",
            "policy": uri}


class MeanCI(ResultModel):
    """A mean with its 95% (stratified-)bootstrap confidence interval."""

    mean: float
    ci95: tuple[float, float]
