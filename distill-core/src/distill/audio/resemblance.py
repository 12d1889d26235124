"""Do generated sounds resemble their collection? Gain-free features and set-to-set scores.

Every sound becomes a feature vector that ignores its gain: the mel spectral shape over
the frames that sound, the level envelope of its first half second and, on a log time
axis, to 3 s, its spectral flatness and how sharp its spectral lines are (crest on a
fine STFT: a bell's partials against a cymbal's wash). Features are standardised by the
real set and each group weighs the same, so no group wins by having more numbers.

On those vectors (`score`): density and coverage (Naeem et al. 2020, k = 3), MMD²
relative to that between two random halves of the real set, spread (mean pairwise
distance, generated over real) and each generated sound's nearest real neighbour, which
tells variation from copying. Beside them, two distributions a listener hears at once:
how long sounds ring (`sounding_seconds`) and how much textures move (`spectral_flux`).

Used by training (the model's own report of how well it learned its collection) and by
`benchmarks/bench_generation.py`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import torch
import torchaudio

from distill.audio.resampling import resample

RATE = 48000  # features are measured at this rate
HOP = 480  # 10 ms frames
N_FFT = 2048
FINE_FFT = 4096  # 11.7 Hz bins: resolves the partials of a bell or a low note
N_BANDS = 40
ENVELOPE_FRAMES = 50  # the first half second, frame by frame
LONG_ENVELOPE_SECONDS = 3.0
LONG_ENVELOPE_POINTS = 12  # log-spaced from the end of the first envelope to 3 s
FLOOR_DB = -60.0
SOUNDING_DB = -30.0  # frames within this of the loudest frame count as sounding (shape, flatness, crest)
RINGING_DB = -40.0  # a sound rings until its last frame within this of its loudest
FLUX_FLOOR_DB = -80.0
# Flatness counts a frame's bins only down to this far under its loudest: without a floor, the
# empty octave above a recording's low-pass (bins 100-120 dB down, inaudible) set most of it, and
# raising them by 11 dB moved the shared music's flatness by half a standard deviation.
FLATNESS_RANGE_DB = -60.0
# Octaves where the core mel's bands (30-60 Hz wide) can carry a line at all: above ~2 kHz a mel band
# is wider than the spacing of most partials, so a crest there says how the vocoder guessed, not
# what the model learned.
CREST_BANDS_HZ = (125.0, 250.0, 500.0, 1000.0, 2000.0)
K = 3
EXCERPT_SECONDS = 4.0  # long recordings and textures are compared in excerpts this long
MAX_REFERENCE = 200  # recordings (or excerpts) a collection is represented by
MIN_RECORDINGS = 6  # two halves of three: fewer cannot say what a collection sounds like

_GROUP_SIZES = (N_BANDS, ENVELOPE_FRAMES, LONG_ENVELOPE_POINTS, 1, 1)
# The smallest spread a feature is standardised by, in its own unit (dB for the first three groups,
# natural log for flatness and crest): a feature (nearly) constant over a collection must not turn a
# difference nobody hears into a huge distance.
_STD_FLOORS = (1.0, 1.0, 1.0, 0.05, 0.05)
GROUPS = tuple(slice(sum(_GROUP_SIZES[:i]), sum(_GROUP_SIZES[: i + 1])) for i in range(len(_GROUP_SIZES)))
FLATNESS, CREST = GROUPS[3].start, GROUPS[4].start  # feature indices of the two scalars


@lru_cache(maxsize=1)
def _mel() -> torchaudio.transforms.MelSpectrogram:
    with torch.inference_mode(False):
        return torchaudio.transforms.MelSpectrogram(RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_BANDS, power=2.0)


def _frame_db(wav: torch.Tensor) -> torch.Tensor:
    """Level of each 10 ms frame of `[samples]` in dB (mean square)."""
    frames = wav[: wav.numel() // HOP * HOP].view(-1, HOP)
    return 10 * torch.log10(frames.pow(2).mean(-1) + 1e-12)


def _padded(wav: torch.Tensor, samples: int) -> torch.Tensor:
    return torch.nn.functional.pad(wav.float(), (0, max(0, samples - wav.numel())))


def _long_envelope(level_db: torch.Tensor) -> torch.Tensor:
    """Mean level between log-spaced times from 0.5 s to 3 s, `[LONG_ENVELOPE_POINTS]`."""
    edges = torch.logspace(
        math.log10(ENVELOPE_FRAMES), math.log10(LONG_ENVELOPE_SECONDS * RATE / HOP), LONG_ENVELOPE_POINTS + 1
    ).round()
    power = torch.cat([10 ** (level_db / 10), torch.zeros(int(edges[-1]))])
    spans = zip(edges[:-1].long().tolist(), edges[1:].long().tolist(), strict=True)
    return torch.stack([10 * torch.log10(power[a : max(b, a + 1)].mean() + 1e-12) for a, b in spans])


def _line_crest(wav: torch.Tensor) -> torch.Tensor:
    """Mean log crest (peak over mean power) in octave bands of a fine STFT, over sounding frames."""
    spectrum = torch.stft(wav, FINE_FFT, FINE_FFT // 4, window=torch.hann_window(FINE_FFT), return_complex=True)
    power = spectrum.abs().pow(2) + 1e-12  # [bins, frames]
    total = power.sum(0)
    loud = 10 * torch.log10(total) >= 10 * torch.log10(total.max()) + SOUNDING_DB
    hz = torch.arange(power.shape[0]) * RATE / FINE_FFT
    crests = []
    for low, high in itertools.pairwise(CREST_BANDS_HZ):
        band = power[(hz >= low) & (hz < high)][:, loud]
        crests.append(torch.log(band.amax(0) / band.mean(0)))
    return torch.stack(crests).mean()


def features(wav: torch.Tensor) -> torch.Tensor:
    """Mono `[samples]` at 48 kHz -> `[sum(_GROUP_SIZES)]` gain-free features."""
    wav = _padded(wav, FINE_FFT)
    wav = wav / wav.abs().max().clamp_min(1e-12)  # the floors below are then relative to the peak
    power = _mel()(wav) + 1e-12  # [bands, frames]
    frame_db = 10 * torch.log10(power.sum(0))
    sounding = frame_db >= frame_db.max() + SOUNDING_DB
    shape_db = 10 * torch.log10(power[:, sounding].mean(-1))
    level_db = _frame_db(wav)
    relative = level_db - level_db.max()
    envelope = torch.full((ENVELOPE_FRAMES,), FLOOR_DB)
    envelope[: relative[:ENVELOPE_FRAMES].numel()] = relative[:ENVELOPE_FRAMES]
    long_envelope = _long_envelope(level_db) - level_db.max()
    spectrum = torch.stft(wav, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True).abs().pow(2) + 1e-12
    audible = torch.maximum(spectrum, spectrum.amax(0) * 10 ** (FLATNESS_RANGE_DB / 10))
    flatness = torch.exp(torch.log(audible).mean(0)) / audible.mean(0)
    total = spectrum.sum(0)
    loud = 10 * torch.log10(total) >= 10 * torch.log10(total.max()) + SOUNDING_DB
    return torch.cat(
        [
            shape_db - shape_db.mean(),
            envelope.clamp_min(FLOOR_DB),
            long_envelope.clamp_min(FLOOR_DB),
            torch.log(flatness[loud]).mean()[None],
            _line_crest(wav)[None],
        ]
    )


def excerpts(wav: torch.Tensor, seconds: float) -> list[torch.Tensor]:
    """A sound as the unit it is compared in: whole if shorter than two excerpts, else cut into excerpts."""
    step = round(seconds * RATE)
    if wav.numel() <= 2 * step:
        return [wav]
    return [wav[start : start + step] for start in range(0, wav.numel() - step + 1, step)]


def feature_matrix(sounds: list[torch.Tensor]) -> torch.Tensor:
    """`[N, D]` features of mono 48 kHz sounds."""
    return torch.stack([features(w) for w in sounds])


def collection_features(waveforms: Sequence[torch.Tensor], sample_rate: int) -> torch.Tensor | None:
    """`[N, D]` resemblance features of a collection's recordings (mono, at `sample_rate`), or None if too few."""
    pieces = [piece for wav in waveforms for piece in excerpts(resample(wav, sample_rate, RATE), EXCERPT_SECONDS)]
    if len(pieces) < MIN_RECORDINGS:
        return None
    order = torch.randperm(len(pieces), generator=torch.Generator().manual_seed(0))[:MAX_REFERENCE]
    return feature_matrix([pieces[i] for i in order.tolist()])


def sounding_seconds(wav: torch.Tensor) -> float:
    """How long `[samples]` at 48 kHz rings: the end of its last 10 ms frame within 40 dB of its loudest."""
    level = _frame_db(_padded(wav, HOP))
    ringing = (level >= level.max() + RINGING_DB).nonzero()
    return (int(ringing.max()) + 1) * HOP / RATE


def spectral_flux(wav: torch.Tensor) -> float:
    """How much a sound moves: mean absolute change of its 40-band mel level, dB per 10 ms frame."""
    power = _mel()(_padded(wav, N_FFT)) + 1e-12
    db = 10 * torch.log10(power)
    db = db.clamp_min(float(db.max()) + FLUX_FLOOR_DB)
    return float((db[:, 1:] - db[:, :-1]).abs().mean())


def standardise(real: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Scale every set by the real set's statistics, each feature group to equal weight."""
    mean, std = real.mean(0), real.std(0)
    weight = torch.ones(real.shape[1], dtype=real.dtype)
    for group, floor in zip(GROUPS, _STD_FLOORS, strict=True):
        weight[group] = 1 / math.sqrt(weight[group].numel())
        std[group] = std[group].clamp_min(floor)
    return [(x - mean) / std * weight for x in (real, *others)]


def _mmd2(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> float:
    """MMD² with a Gaussian kernel (the biased V-statistic: never negative, so ratios stay meaningful)."""

    def kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.cdist(a, b).pow(2) / (2 * bandwidth**2))

    return float(kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean())


@dataclass
class Resemblance:
    """How a generated set compares with its collection (see the module docstring)."""

    density: float
    coverage: float
    mmd_ratio: float
    spread: float
    nearest_real: float  # median distance from a generated sound to its nearest real one
    real_nearest_real: float  # median distance from a real sound to its nearest other real one
    closest_copy: float  # smallest generated -> nearest real distance

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def score(real_features: torch.Tensor, generated_features: torch.Tensor, seed: int = 0) -> Resemblance:
    """Compare `[N, D]` real and `[M, D]` generated feature vectors (N >= K + 2)."""
    real, fake = standardise(real_features.double(), generated_features.double())
    real_dist = torch.cdist(real, real)
    k = min(K, real.shape[0] - 1)
    radii = real_dist.topk(k + 1, largest=False).values[:, -1]  # k-th neighbour, self excluded
    cross = torch.cdist(fake, real)  # [M, N]
    inside = cross < radii[None]
    off_diagonal = real_dist[~torch.eye(real.shape[0], dtype=torch.bool)]
    bandwidth = float(off_diagonal.median())
    g = torch.Generator().manual_seed(seed)
    halves = []
    for _ in range(20):
        order = torch.randperm(real.shape[0], generator=g)
        half = real.shape[0] // 2
        halves.append(_mmd2(real[order[:half]], real[order[half:]], bandwidth))
    baseline = max(sum(halves) / len(halves), 1e-9)
    pairs = max(fake.shape[0] * (fake.shape[0] - 1), 1)
    nearest = cross.min(1).values
    real_nn = (real_dist + torch.eye(real.shape[0], dtype=real.dtype) * 1e9).min(1).values
    return Resemblance(
        density=float(inside.sum() / (k * fake.shape[0])),
        coverage=float(inside.any(0).double().mean()),
        mmd_ratio=_mmd2(fake, real, bandwidth) / baseline,
        spread=float(torch.cdist(fake, fake).sum() / pairs) / float(off_diagonal.mean()),
        nearest_real=float(nearest.median()),
        real_nearest_real=float(real_nn.median()),
        closest_copy=float(nearest.min()),
    )
