"""How the original model and the retrain reference are trained (explorer/engine/training.py trains them):
declared here, apart from the engine, so the command line and the link parser read and check them without
loading torch."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from explorer.config.declare import OPTIMIZERS, Settings, setting
from explorer.config.limits import MAX_SAMPLES, MAX_SEED


@dataclass(frozen=True)
class TrainConfig(Settings, section="train"):
    epochs: int = setting(1500, lo=1, hi=20000, unit="epochs", step=100, label="max epochs",
                          help="Upper bound on training epochs; training stops earlier once the loss plateaus.")
    lr: float = setting(0.01, lo=0.0, hi=10.0, lo_open=True, step=0.001, label="learning rate",
                        help="Adam learning rate for training the original model (and the retrained reference).")
    weight_decay: float = setting(0.0, lo=0.0, hi=1.0, step=1e-4, label="weight decay",
                                  help="L2 penalty during training. Smoother models have smaller local Lipschitz "
                                       "constants.")
    # 0 = full batch (deterministic and fastest for 2D toys)
    batch_size: int = setting(0, lo=0, hi=MAX_SAMPLES, unit="samples (0 = full batch)", step=1, label="batch size",
                              help="training batch size")
    optimizer: str = setting("adam", choices=OPTIMIZERS, label="optimiser", help="training optimiser")
    # Converged = the loss is below target_loss, or it fell by less than `tolerance` (relative) over the last
    # `patience` epochs. The paper's authors stress under-trained models unlearn badly, so the plateau test looks at
    # a long window rather than at one noisy epoch.
    target_loss: float = setting(1e-3, lo=0.0, hi=10.0, label="target loss",
                                 help="training stops once the loss is below this")
    patience: int = setting(100, lo=1, hi=20000, unit="epochs", label="patience",
                            help="or once the loss has not improved for this long")
    tolerance: float = setting(0.05, lo=0.0, hi=1.0, label="tolerance",
                               help="relative improvement that counts for the patience")
    seed: int = setting(0, lo=0, hi=MAX_SEED, flag="train-seed", label="training seed",
                        help="weight init and minibatch order (default: --seed)")

    def to_dict(self) -> dict:
        return asdict(self)


def default_train_config(image_data: bool, seed: int = 0) -> TrainConfig:
    """2D toys: full-batch Adam until the loss plateaus. Images: minibatch Adam, fixed epochs."""
    if image_data:
        return TrainConfig(epochs=30, lr=2e-3, batch_size=64, target_loss=1e-3, patience=5, tolerance=0.05,
                           seed=seed)
    return TrainConfig(seed=seed)
