"""The known generative factors of a dataset's images (the shapes source has them; real photos and digits do not).

Kept beside the images as small integer tables, one row per image and one column per factor: column f holds an index
into that factor's grid of ``sizes[f]`` values (shape kind, scale step, rotation step, x and y position).
Torch-free, so it can be imported by anything that only reads the table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aelab.errors import DataError


@dataclass(frozen=True)
class Factors:
    """train, test: (N, F) int64 grid indices matching a Dataset's splits row for row; names[f] and sizes[f] describe
    column f (its values are 0 .. sizes[f] - 1); descriptions[f] says in words what the index means."""

    names: tuple[str, ...]
    sizes: tuple[int, ...]
    train: np.ndarray
    test: np.ndarray
    descriptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.names) != len(self.sizes) or not self.names:
            raise DataError(f"Factors need one size per name, got names {self.names} and sizes {self.sizes}.")
        if self.descriptions and len(self.descriptions) != len(self.names):
            raise DataError("Factors need one description per name (or none).")
        for split, table in (("train", self.train), ("test", self.test)):
            if table.ndim != 2 or table.shape[1] != len(self.names) or not np.issubdtype(table.dtype, np.integer):
                raise DataError(f"Factors' {split} table must be (N, {len(self.names)}) integers, "
                                f"got {table.shape} {table.dtype}.")
            if len(table) and (table.min(axis=0).min() < 0 or (table.max(axis=0) >= np.asarray(self.sizes)).any()):
                raise DataError(f"Factors' {split} table holds an index outside its factor's grid {self.sizes}.")

    def check_counts(self, n_train: int, n_test: int, dataset: str) -> None:
        """DataError unless there is one row per image in each split."""
        if (len(self.train), len(self.test)) != (n_train, n_test):
            raise DataError(f"Dataset {dataset!r}: {len(self.train)} + {len(self.test)} factor rows for "
                            f"{n_train} + {n_test} images.")

    def split(self, which: str) -> np.ndarray:
        """``"train"``, ``"test"`` or ``"all"`` (train rows then test rows) -> (N, F) int64."""
        tables = {"train": self.train, "test": self.test}
        if which == "all":
            return np.concatenate([self.train, self.test])
        if which not in tables:
            raise DataError(f"Unknown split {which!r}; valid splits: train, test, all.")
        return tables[which]
