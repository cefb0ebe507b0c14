"""Which data a run uses (toy_data generates it from this spec): declared here, apart from the generators (which
import scikit-learn), so the command line and the link parser read and check it before they load."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from explorer.config.datafile import DataFile
from explorer.config.declare import Settings, setting
from explorer.config.limits import MAX_CLASSES, MAX_SAMPLES, MAX_SEED
from explorer.config.edits import DataEdits


@dataclass(frozen=True)
class DatasetSpec(Settings, section="dataset"):
    """Everything needed to rebuild a dataset exactly. Unused fields are ignored by a generator; the name is checked
    against the generators' registry when the data is made (toy_data/base.py validate_spec)."""

    name: str = setting("moons", flag="dataset", label="dataset",
                        help="the dataset by name (default moons; an unknown name lists them)")
    samples: int = setting(400, lo=20, hi=MAX_SAMPLES, unit="points", step=20, label="samples",
                           help="Number of generated points (training and test together, before the split).")
    noise: float = setting(0.2, lo=0.0, hi=5.0, step=0.05, label="noise",
                           help="Spread of the points around the generator's shape (cluster std for blobs).")
    classes: int = setting(2, lo=2, hi=MAX_CLASSES, unit="classes", step=1, label="classes",
                           help="Number of classes (blobs and spiral; arms for spiral; the other generators are binary).")
    seed: int = setting(0, lo=0, hi=MAX_SEED, step=1, flag="data-seed", label="seed",
                        help="the data's seed (default: --seed)")
    test_fraction: float = setting(0.25, lo=0.05, hi=0.9, step=0.05, label="test fraction",
                                   help="Share of the points held out as the test set (used for test accuracy and "
                                        "the MIA).")
    edits: DataEdits = field(default_factory=DataEdits)  # hand edits, applied after generation (explorer/config/edits.py)
    file: DataFile | None = None  # the user's data file of the "file" dataset (toy_data/files.py)

    def to_dict(self) -> dict:
        """Plain values; no edits and no data file are left out, so an unedited toy reads as it always did."""
        out = asdict(self)
        if not self.edits:
            out.pop("edits")
        if self.file is None:
            out.pop("file")
        return out
