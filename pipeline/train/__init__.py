"""Training of the swap models: the data interface (`TrainingSet`, faceset folders) and the stage `run`."""
from __future__ import annotations

from pipeline.train.checkpoint import TrainedModel, load_checkpoint, load_trained, read_checkpoint_info
from pipeline.train.config import LossConfig, TrainConfig
from pipeline.train.augment import AugmentConfig
from pipeline.train.data import (CgPairs, Faceset, IdentityCrops, TrainingSet, ArrayCrops, PngCrops, load_faceset,
                                 training_set, write_faceset)
from pipeline.train.trainer import TrainInputs, TrainResult, run

__all__ = ["ArrayCrops", "AugmentConfig", "CgPairs", "Faceset", "IdentityCrops", "LossConfig", "PngCrops",
           "TrainConfig", "TrainInputs", "TrainResult", "TrainedModel", "TrainingSet", "load_checkpoint",
           "load_faceset", "load_trained", "read_checkpoint_info", "run", "training_set", "write_faceset"]
