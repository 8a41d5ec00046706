"""Words in space: an embedding table projected on the two directions that keep most of its variance (PCA).

The plane is fitted once -- on the last epoch's table -- and every epoch's table is projected on it, so a word
that moves from one frame to the next is a vector that changed, not axes that turned.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pipeline.training.loop import seeded

PCA_SEED = 0  # torch.pca_lowrank draws a random matrix: the same table always gives the same plane
PCA_ITERATIONS = 2


@dataclass(frozen=True)
class Plane:
    """Two directions of an embedding space, and where their origin is.

    Shape:
        - ``mean``: (E,), the fitted table's mean word; ``directions``: (E, 2); ``variance``: (2,), the share of the
          fitted table's variance each direction keeps
    """

    mean: torch.Tensor
    directions: torch.Tensor
    variance: torch.Tensor

    def project(self, table: torch.Tensor) -> torch.Tensor:
        """(W, E) word vectors -> (W, 2) points in the plane."""
        return (table.to(self.mean) - self.mean) @ self.directions  # (W, 2)


def fit_plane(table: torch.Tensor) -> Plane:
    """The plane of ``table``'s (W, E) two main directions, from ``torch.pca_lowrank`` (seeded, so repeatable).

    Raises:
        ValueError: if the table has fewer than 3 words or 2 numbers per word.
    """
    words, width = table.shape
    if words < 3 or width < 2:
        raise ValueError(f"a plane needs at least 3 words of 2 numbers, got a table of shape {list(table.shape)}")
    table = table.detach().double()  # (W, E): in double, so the plane does not depend on summation order
    # every direction estimated, not just two: at a lesson's size (200 x 64) it costs a millisecond and makes the
    # randomised estimate exact (two of six were 0.2 off on a table with no clear main direction)
    rank = min(words, width)
    with seeded(PCA_SEED):
        _, values, directions = torch.pca_lowrank(table, q=rank, center=True, niter=PCA_ITERATIONS)
    mean = table.mean(dim=0)  # (E,)
    total = (table - mean).square().sum()
    share = values[:2].square() / total if total > 0 else torch.zeros(2, dtype=table.dtype)  # (2,)
    return Plane(mean, directions[:, :2], share)
