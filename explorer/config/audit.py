"""The privacy audit's settings (explorer/studies/audit.py runs it), declared apart from the study, which imports
torch, so that ``python -m explorer audit`` checks ``--references`` and ``--variance`` before the engine loads."""
from __future__ import annotations

from dataclasses import dataclass

from explorer.config.declare import Settings, setting
from explorer.config.errors import ScenarioError


@dataclass(frozen=True)
class AuditConfig(Settings, section="audit"):
    references: int = setting(64, lo=2, hi=256, unit="reference models", step=2, label="reference models",
                              help="reference models, an even number (default 64 on the toys, 8 on images); each "
                                   "trains on a random half of the training and test points")
    # LiRA's Gaussians: one variance per point, or one pooled over all points ("global": the paper's choice for
    # few reference models; on the toys it drowns tight per-point fits in the spread of confident points' φ)
    variance: str = setting("per_point", choices=("per_point", "global"), label="variance",
                            help="LiRA's Gaussian fits: one variance per point (default) or one for all points")

    def validate(self) -> None:
        """What the range cannot say: reference models come in complementary pairs of halves."""
        if self.references % 2:
            raise ScenarioError(f"audit.references must be even (reference models come in complementary pairs), "
                                f"got {self.references}")
