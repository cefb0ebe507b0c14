"""The training recipe of the original model and of the retrained reference, each setting a declared field
(the loop itself: explorer/engine/training.py)."""
from __future__ import annotations

from explorer.config import shared
from explorer.config.fields import config, setting


@config("train")
class TrainConfig:
    epochs: int = setting(1500, lo=1, hi=20000, unit="epochs", step=100, label="max epochs",
                          help="Upper bound on training epochs; training stops earlier once the loss plateaus.")
    lr: float = shared.lr(0.01, help="Adam learning rate for training the original model (and the retrained "
                                     "reference).")
    weight_decay: float = setting(0.0, lo=0.0, hi=1.0, step=1e-4, label="weight decay",
                                  help="L2 penalty during training. Smoother models have smaller local Lipschitz "
                                       "constants.")
    batch_size: int = shared.batch_size(0, help="training batch size (0 = full batch: deterministic and fastest "
                                                "for the 2D toys)")
    optimizer: str = shared.optimizer("adam", help="the training optimiser")
    # Converged = the loss is below target_loss, or it fell by less than `tolerance` (relative)
    # over the last `patience` epochs. The paper's authors stress under-trained models unlearn badly,
    # so the plateau test looks at a long window rather than at one noisy epoch.
    target_loss: float = setting(1e-3, lo=0.0, hi=10.0, help="training stops once the loss is below this")
    patience: int = setting(100, lo=1, hi=20000, unit="epochs",
                            help="the plateau window: stop when the loss fell by less than the tolerance over it")
    tolerance: float = setting(0.05, lo=0.0, hi=1.0, help="relative fall of the loss that still counts as progress")
    seed: int = shared.seed(flag="train-seed", help="weight initialisation and minibatch order")

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def default_train_config(image_data: bool, seed: int = 0) -> TrainConfig:
    """2D toys: full-batch Adam until the loss plateaus. Images: minibatch Adam, fixed epochs."""
    if image_data:
        return TrainConfig(epochs=30, lr=2e-3, batch_size=64, target_loss=1e-3, patience=5, tolerance=0.05,
                           seed=seed)
    return TrainConfig(seed=seed)
