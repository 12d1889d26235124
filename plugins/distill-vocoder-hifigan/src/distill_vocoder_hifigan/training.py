"""Training a per-model HiFi-GAN on the model's own recordings, with checkpoints and previews.

Reports through the `ProgressCallback` only (no printing), so the CLI, the UI and tests
share one path. Every `checkpoint_every` steps, at the end and on Ctrl-C the full state
(both networks, both optimisers, step, RNG) goes to `run_dir/checkpoint.pt` atomically.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from distill.vocoders import (
    DistillError,
    Progress,
    ProgressCallback,
    ShouldStop,
    SpectrogramConfig,
    TrainingAudio,
    TrainingCancelled,
    VocoderState,
    atomic_path,
    waveform_to_mel,
    write_audio,
)
from distill_vocoder_hifigan.config import HiFiGANConfig
from distill_vocoder_hifigan.discriminators import Discriminators
from distill_vocoder_hifigan.generator import Generator
from distill_vocoder_hifigan.losses import (
    FEATURE_WEIGHT,
    MEL_WEIGHT,
    adversarial_loss,
    discriminator_loss,
    feature_matching_loss,
    mel_loss,
)

NAME = "hifigan"


@dataclass
class TrainingOptions:
    """What `distill train-vocoder` passes in its `config` dict."""

    run_dir: Path
    max_steps: int | None = None
    epochs: int | None = None
    batch_size: int = 4
    learning_rate: float = 2e-4
    segment_frames: int = 32  # 32 frames x 512 = 16384 samples per example
    resume: bool = False
    init_from: dict[str, torch.Tensor] | None = None  # a generator state dict to start from
    checkpoint_every: int = 200
    preview_every: int = 500
    device: str = "cpu"
    seed: int = 0
    model_overrides: dict[str, Any] | None = None  # e.g. a tiny generator for tests

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TrainingOptions:
        known = set(cls.__dataclass_fields__)
        options = cls(**{k: v for k, v in config.items() if k in known and v is not None})
        options.run_dir = Path(options.run_dir)
        return options


def _load_clips(dataset: TrainingAudio, minimum: int) -> list[torch.Tensor]:
    """Every recording once, in memory, each at least one training example long."""
    clips = []
    for index in range(len(dataset)):
        wav = dataset[index].float()
        if wav.numel() < minimum:
            wav = torch.nn.functional.pad(wav, (0, minimum - wav.numel()))
        clips.append(wav)
    if not clips:
        raise DistillError("The model's training audio is empty; there is nothing to learn a vocoder from.")
    return clips


def _batch(
    clips: list[torch.Tensor], lengths: torch.Tensor, size: int, samples: int, g: torch.Generator
) -> torch.Tensor:
    """Random crops `[size, samples]`, recordings drawn in proportion to their length."""
    picks = torch.multinomial(lengths, size, replacement=True, generator=g)
    crops = []
    for pick in picks.tolist():
        clip = clips[pick]
        start = int(torch.randint(0, clip.numel() - samples + 1, (1,), generator=g))
        crops.append(clip[start : start + samples])
    return torch.stack(crops)


class Trainer:
    """Holds both networks and optimisers; `run()` trains to the step budget."""

    def __init__(self, spectrogram: SpectrogramConfig, dataset: TrainingAudio, options: TrainingOptions) -> None:
        self.spectrogram = spectrogram
        self.options = options
        self.device = torch.device(options.device)
        self.config = HiFiGANConfig.for_spectrogram(spectrogram, **(options.model_overrides or {}))
        torch.manual_seed(options.seed)
        self.generator = self._initial_generator(options.init_from).to(self.device)
        self.discriminators = Discriminators(self.config).to(self.device)
        betas = (0.8, 0.99)
        self.opt_g = torch.optim.AdamW(self.generator.parameters(), options.learning_rate, betas=betas)
        self.opt_d = torch.optim.AdamW(self.discriminators.parameters(), options.learning_rate, betas=betas)
        self.samples = options.segment_frames * spectrogram.hop_length
        self.clips = _load_clips(dataset, self.samples)
        self.lengths = torch.tensor([float(c.numel()) for c in self.clips])
        self.g = torch.Generator().manual_seed(options.seed)
        self.step = 0
        steps_per_epoch = math.ceil(self.lengths.sum().item() / self.samples / options.batch_size)
        self.total = options.max_steps or (options.epochs or 1) * max(1, steps_per_epoch)
        self.checkpoint = options.run_dir / "checkpoint.pt"
        if options.resume:
            self._restore()

    def _initial_generator(self, init: dict[str, torch.Tensor] | None) -> Generator:
        """Fresh, or warm-started from a checkpoint's (weight-norm) or a model's (folded) weights."""
        if init is None:
            return Generator(self.config)
        if any(".parametrizations." in key for key in init):
            generator = Generator(self.config)
            generator.load_state_dict(init)
            return generator
        generator = Generator(self.config, weight_norm=False)
        generator.load_state_dict(init)
        return generator.apply_weight_norm()

    def _state(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "config": self.config.to_dict(),
            "generator": self.generator.state_dict(),
            "discriminators": self.discriminators.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": self.g.get_state(),
            "torch_rng": torch.get_rng_state(),
        }

    def save_checkpoint(self) -> None:
        self.options.run_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.checkpoint) as tmp:
            torch.save(self._state(), tmp)

    def _restore(self) -> None:
        if not self.checkpoint.is_file():
            raise DistillError(f"Nothing to resume: no vocoder checkpoint at {self.checkpoint}.")
        state = torch.load(self.checkpoint, map_location=self.device, weights_only=True)
        self.generator.load_state_dict(state["generator"])
        self.discriminators.load_state_dict(state["discriminators"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.g.set_state(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.step = state["step"]

    def train_step(self) -> dict[str, float]:
        real = _batch(self.clips, self.lengths, self.options.batch_size, self.samples, self.g).to(self.device)
        mel = waveform_to_mel(real, self.spectrogram)
        fake = self.generator(mel)[..., : real.shape[-1]]

        real_scores, _ = self.discriminators(real)
        fake_scores, _ = self.discriminators(fake.detach())
        loss_d = discriminator_loss(real_scores, fake_scores)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        real_scores, real_features = self.discriminators(real)
        fake_scores, fake_features = self.discriminators(fake)
        loss_mel = mel_loss(real, fake, self.spectrogram)
        loss_g = (
            adversarial_loss(fake_scores)
            + FEATURE_WEIGHT * feature_matching_loss(real_features, fake_features)
            + MEL_WEIGHT * loss_mel
        )
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.step += 1
        return {"generator": loss_g.item(), "discriminator": loss_d.item(), "mel": loss_mel.item()}

    @torch.no_grad()
    def preview(self) -> Path:
        """The longest recording's first seconds, original and reconstruction, into the run folder."""
        clip = max(self.clips, key=lambda c: c.numel())[: self.spectrogram.sample_rate * 4]
        self.generator.eval()
        recon = self.generator(waveform_to_mel(clip[None].to(self.device), self.spectrogram))[0, : clip.numel()]
        self.generator.train()
        folder = self.options.run_dir / "previews"
        write_audio(folder / "original.wav", clip, self.spectrogram.sample_rate)
        return write_audio(folder / f"step{self.step:07d}.wav", recon.cpu(), self.spectrogram.sample_rate)

    def run(self, progress: ProgressCallback | None, should_stop: ShouldStop | None = None) -> VocoderState:
        started, first = time.perf_counter(), self.step
        try:
            while self.step < self.total:
                if should_stop is not None and should_stop():
                    raise KeyboardInterrupt  # the stop button ends the run exactly as Ctrl-C does
                metrics = self.train_step()
                message = f"step {self.step}/{self.total}"
                if self.step % self.options.preview_every == 0:
                    message += f", preview {self.preview().name}"
                if self.step % self.options.checkpoint_every == 0:
                    self.save_checkpoint()
                if progress is not None:
                    rate = (self.step - first) / max(time.perf_counter() - started, 1e-9)
                    progress(Progress("train-vocoder", self.step, self.total, message, {**metrics, "steps/s": rate}))
        except KeyboardInterrupt:
            self.save_checkpoint()
            raise TrainingCancelled(
                f"Vocoder training stopped at step {self.step}; the checkpoint in {self.options.run_dir} is kept, "
                "resume to continue (--resume on the command line)."
            ) from None
        self.save_checkpoint()
        self.preview()
        generator = Generator(self.config)
        generator.load_state_dict(self.generator.state_dict())
        state = {k: v.detach().cpu() for k, v in generator.remove_weight_norm().state_dict().items()}
        return VocoderState(NAME, self.config.to_dict(), state)


def train(
    spectrogram: SpectrogramConfig,
    dataset: TrainingAudio,
    config: dict[str, Any],
    progress: ProgressCallback | None,
    should_stop: ShouldStop | None = None,
) -> VocoderState:
    """The `train_vocoder` hook's work: a fresh, resumed or warm-started run."""
    return Trainer(spectrogram, dataset, TrainingOptions.from_config(config)).run(progress, should_stop)
