"""Is a trained VAE alive? Active latent units and reconstruction against trivial baselines.

A collapsed VAE ignores its input and decodes (nearly) the same mel for every latent:
its latent means do not vary over the data and it reconstructs no better than a
constant. Both are measured here, reported while training and stored with the model,
so a collapsed model is never saved as if it were fine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from distill.models.vae import VAE

ACTIVE_VARIANCE = 0.01  # Burda et al. 2016: a unit is active when Var_x(E[z|x]) exceeds this
COLLAPSE_RATIO = 0.8  # reconstructing no better than this share of the best baseline is collapse


def active_units(mu: torch.Tensor) -> int:
    """Latent dimensions whose posterior mean varies over the data `[N, latent_dim]`."""
    if mu.shape[0] < 2:
        return 0
    return int((mu.var(dim=0) > ACTIVE_VARIANCE).sum())


@dataclass
class Diagnostics:
    """Health figures of a trained VAE; reconstruction errors are L1 on log1p mels per bin."""

    active_units: int
    latent_dim: int
    recon: float
    mean_baseline: float  # predicting the training set's mean segment
    silence_baseline: float  # predicting silence (log1p 0)
    held_out: bool  # whether `recon` was measured on recordings the model never trained on

    @property
    def ignores_input(self) -> bool:
        """Collapse proper: the latent went unused, which a weaker KL weight can cure."""
        return self.active_units <= 1

    @property
    def collapsed(self) -> bool:
        best = min(self.mean_baseline, self.silence_baseline)
        return self.active_units <= 1 or self.recon >= COLLAPSE_RATIO * best

    def sentence(self) -> str:
        """One line for a person: is it alive, and the figures that say so."""
        where = "held-out" if self.held_out else "training"
        figures = (
            f"{self.active_units} of {self.latent_dim} latent units active; {where} reconstruction error "
            f"{self.recon:.3f} against {self.mean_baseline:.3f} for the mean segment and "
            f"{self.silence_baseline:.3f} for silence"
        )
        if not self.collapsed:
            return f"healthy ({figures})"
        return f"collapsed ({figures})" if self.active_units <= 1 else f"not learned ({figures})"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "collapsed": self.collapsed}


@torch.no_grad()
def posterior(vae: VAE, segments: torch.Tensor, batch: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior means and log-variances `[N, latent_dim]` of log1p mel segments."""
    vae.eval()
    stats = [vae.encode(segments[i : i + batch]) for i in range(0, segments.shape[0], batch)]
    return torch.cat([s[0] for s in stats]), torch.cat([s[1] for s in stats])


@torch.no_grad()
def diagnose(vae: VAE, train: torch.Tensor, held_out: torch.Tensor) -> Diagnostics:
    """Measure `vae` on its training segments and (when there are any) held-out ones."""
    mu, _ = posterior(vae, train)
    target = held_out if held_out.shape[0] else train
    target_mu = posterior(vae, target)[0] if held_out.shape[0] else mu
    recon = torch.cat([vae.decode(target_mu[i : i + 64]) for i in range(0, target_mu.shape[0], 64)])
    return Diagnostics(
        active_units=active_units(mu),
        latent_dim=mu.shape[1],
        recon=float((recon - target).abs().mean()),
        mean_baseline=float((train.mean(dim=0) - target).abs().mean()),
        silence_baseline=float(target.abs().mean()),
        held_out=bool(held_out.shape[0]),
    )


def model_health(model: Any) -> dict[str, Any]:
    """A `DistillModel`'s health figures, as measured when it was trained.

    Models trained before health was measured still carry their latent analysis, whose
    per-dimension spread of posterior means gives the active units exactly; a model with
    at most one is flagged collapsed.
    """
    stored = model.metadata.get("diagnostics")
    if stored is not None:
        return stored
    spread = (model.latent_analysis or {}).get("spread") or []
    units = sum(1 for s in spread if s * s > ACTIVE_VARIANCE)
    return {"active_units": units, "latent_dim": len(spread), "collapsed": units <= 1}


def health_sentence(health: dict[str, Any]) -> str:
    """One line for `model info` and warnings."""
    if "recon" in health:
        return Diagnostics(**{k: v for k, v in health.items() if k != "collapsed"}).sentence()
    state = "collapsed" if health["collapsed"] else "not measured when trained"
    return f"{state} ({health['active_units']} of {health['latent_dim']} latent units active)"


FAR_SHARE = 0.5  # generated sounds covering less than this share of what the collection covers of itself


def resemblance_far(record: dict[str, Any]) -> bool:
    """Whether a model's generated sounds are far from its collection (`inference.assessment`'s figures)."""
    return record["coverage"] < FAR_SHARE * record["collection_coverage"]


def resembles_anyway(health: dict[str, Any], record: dict[str, Any] | None) -> bool:
    """Whether a model judged not learned still generates sounds that resemble its collection.

    Held-out recordings unlike every other one (a small, varied collection) can be
    reconstructed worse than silence by a model whose generated sounds still resemble its
    collection: the resemblance check, where it measured that, outweighs the prediction.
    """
    try:
        return health.get("active_units", 0) > 1 and record is not None and not resemblance_far(record)
    except (KeyError, TypeError, ValueError):  # figures from another version of the measure
        return False


def unhealthy_consequence(health: dict[str, Any], record: dict[str, Any] | None) -> str:
    """What an unhealthy verdict means for the musician, after "Model 'x' is not learned (...): "."""
    if resembles_anyway(health, record):
        return (
            "recordings unlike the ones it trained on do not come back, though its generated sounds resemble the "
            f"collection (coverage {record['coverage']:.2f}; the collection against itself "
            f"{record['collection_coverage']:.2f})"
        )
    return "it will not sound like your collection"


def resemblance_sentence(record: dict[str, Any] | None) -> str:
    """One line for a person: do the model's sounds resemble its collection, against the collection itself."""
    if record is None:
        return "not measured (models trained before this release, or collections of fewer than six recordings)"
    figures = (
        f"its generated sounds cover {record['coverage']:.2f} of the collection (the collection against itself: "
        f"{record['collection_coverage']:.2f})"
    )
    if resemblance_far(record):
        return f"does not sound like your collection yet: {figures}"
    return f"sounds like your collection: {figures}"
