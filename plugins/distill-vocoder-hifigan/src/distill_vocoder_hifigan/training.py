"""Training a per-model HiFi-GAN on the model's own recordings, with checkpoints and previews.

Reports through the `ProgressCallback` only (no printing), so the CLI, the UI and tests
share one path. Every `checkpoint_every` steps, at the end and on a cancel the full state
(both networks, both optimisers, step, RNG) goes to `run_dir/checkpoint.pt` atomically,
written by rank 0 alone in a distributed run. The state is that of the whole job (the
batch is global), so a run resumes with any number of processes.

A cancel is the host's `should_stop` answering True (Ctrl-C, `kill`, the stop button or a
launcher's stop file: the host combines them). It takes effect at the end of the current
step, on every process of a distributed run at the same step. A Ctrl-C that still
interrupts a step (a second one, or without the host) keeps a checkpoint in one process.
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
    Judge,
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
from distill_vocoder_hifigan.distributed import Workers
from distill_vocoder_hifigan.generator import Generator
from distill_vocoder_hifigan.losses import (
    FEATURE_WEIGHT,
    MEL_WEIGHT,
    adversarial_loss,
    discriminator_loss,
    feature_matching_loss,
    reconstruction_losses,
)
from distill_vocoder_hifigan.pairs import TrainingPairs, load_clips, load_decoded
from distill_vocoder_hifigan.recipe import DEFAULT, Recipe, choose_recipe
from distill_vocoder_hifigan.vocoder import HiFiGANVocoder

NAME = "hifigan"
# Training memory per audio sample of one batch example: measured on CPU with full-width
# discriminators, peak RSS grows by about 0.45 GB per 16,384-sample example.
BYTES_PER_SAMPLE = 30_000
AUDIBLE_START_EXAMPLES = 16  # examples whose level a fresh generator is scaled to (`Generator.start_audible`)
ALL = slice(None)


@dataclass
class TrainingOptions:
    """What `distill train-vocoder` passes in its `config` dict; None means "as the recipe says"."""

    run_dir: Path
    max_steps: int | None = None
    epochs: int | None = None
    recipe: str = DEFAULT
    batch_size: int | None = None
    learning_rate: float | None = None
    segment_frames: int | None = None
    warmup_steps: int | None = None
    discriminator_width: int | None = None
    decoded_share: float | None = None
    resume: bool = False
    init_from: dict[str, torch.Tensor] | None = None  # a generator state dict to start from
    checkpoint_every: int = 200
    preview_every: int = 500
    judge_every: int = 200  # steps between the host's held-out checks (the curve the CLI and UI draw)
    device: str = "cpu"
    seed: int = 0
    model_overrides: dict[str, Any] | None = None  # e.g. a tiny generator for tests

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TrainingOptions:
        known = set(cls.__dataclass_fields__)
        options = cls(**{k: v for k, v in config.items() if k in known and v is not None})
        options.run_dir = Path(options.run_dir)
        return options

    def chosen_recipe(self) -> Recipe:
        overrides = dict(self.model_overrides or {})
        return choose_recipe(
            self.recipe,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            segment_frames=self.segment_frames,
            warmup_steps=self.warmup_steps,
            discriminator_width=self.discriminator_width or overrides.get("discriminator_width"),
            decoded_share=self.decoded_share,
        )


def free_memory(device: torch.device) -> int | None:
    """Bytes free for training on `device` now (GPU memory, or the OS's available RAM), if known."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_batch_fits(batch_size: int, samples: int, device: torch.device) -> None:
    """One sentence, before anything large is allocated, if a batch cannot fit in memory
    (rather than being killed by the kernel with no message)."""
    per_example = samples * BYTES_PER_SAMPLE
    free = free_memory(device)
    if free is None or batch_size * per_example <= free:
        return
    fits = int(free // per_example)
    advice = f"use --batch-size {fits} or less" if fits else "free some memory first"
    raise DistillError(
        f"A batch of {batch_size} needs about {batch_size * per_example / 2**30:.0f} GiB to train, but "
        f"{free / 2**30:.1f} GiB is free on {device}; {advice}."
    )


class Trainer:
    """Holds both networks and optimisers; `run()` trains to the step budget."""

    def __init__(
        self,
        spectrogram: SpectrogramConfig,
        dataset: TrainingAudio,
        options: TrainingOptions,
        judge: Judge | None = None,
    ) -> None:
        self.spectrogram = spectrogram
        self.judge = judge
        self.options = options
        self.workers = Workers.join(options.device)
        self.device = self.workers.device
        self.checkpoint = options.run_dir / "checkpoint.pt"
        saved = self._read_checkpoint() if options.resume else None
        self.recipe = options.chosen_recipe()
        overrides = {k: v for k, v in (options.model_overrides or {}).items() if k != "discriminator_width"}
        self.config = (
            self._saved_config(saved)
            if saved is not None
            else HiFiGANConfig.for_spectrogram(
                spectrogram, **overrides, discriminator_width=self.recipe.discriminator_width
            )
        )
        self.rows = self.workers.share(self.recipe.batch_size)
        self.samples = self.recipe.segment_frames * spectrogram.hop_length
        check_batch_fits(len(range(self.recipe.batch_size)[self.rows]), self.samples, self.device)
        self.clips = load_clips(dataset, self.samples)
        frames, hop = self.recipe.segment_frames, spectrogram.hop_length
        decoded = load_decoded(dataset, self.clips, frames, hop) if self.recipe.decoded_share else []
        self.pairs = TrainingPairs(self.clips, decoded, spectrogram, frames, self.recipe.decoded_share)
        torch.manual_seed(options.seed)
        self.generator = self._initial_generator(options.init_from).to(self.device)
        self.discriminators = Discriminators(self.config, self.recipe.discriminator).to(self.device)
        betas = (0.8, 0.99)
        self.opt_g = torch.optim.AdamW(self.generator.parameters(), self.recipe.learning_rate, betas=betas)
        self.opt_d = torch.optim.AdamW(self.discriminators.parameters(), self.recipe.learning_rate, betas=betas)
        self.g = torch.Generator().manual_seed(options.seed)
        self.step = 0
        steps_per_epoch = math.ceil(self.pairs.total_samples / self.samples / self.recipe.batch_size)
        self.total = options.max_steps or (options.epochs or 1) * max(1, steps_per_epoch)
        if saved is not None:
            self._restore(saved)
        self.g_net = self.workers.wrap(self.generator)
        self.d_net = self.workers.wrap(self.discriminators)

    def _initial_generator(self, init: dict[str, torch.Tensor] | None) -> Generator:
        """Fresh (started audible when the recipe says so), or warm-started from a checkpoint's
        (weight-norm) or a model's (folded) weights."""
        if init is None and self.recipe.audible_start:
            mel, wav = self.pairs.batch(AUDIBLE_START_EXAMPLES, torch.Generator().manual_seed(self.options.seed), ALL)
            return Generator(self.config, weight_norm=False).start_audible(mel, wav).apply_weight_norm()
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
            "recipe": self.recipe.to_dict(),
            "generator": self.generator.state_dict(),
            "discriminators": self.discriminators.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": self.g.get_state(),
            "torch_rng": torch.get_rng_state(),
        }

    def save_checkpoint(self) -> None:
        """Rank 0 writes; the others wait, so nobody reads a checkpoint mid-write."""
        if self.workers.main:
            self.options.run_dir.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.checkpoint) as tmp:
                torch.save(self._state(), tmp)
        self.workers.barrier()

    def _read_checkpoint(self) -> dict[str, Any]:
        if not self.checkpoint.is_file():
            raise DistillError(f"Nothing to resume: no vocoder checkpoint at {self.checkpoint}.")
        try:
            return torch.load(self.checkpoint, map_location=self.device, weights_only=True)
        except Exception as exc:
            raise self._damaged() from exc

    def _damaged(self) -> DistillError:
        return DistillError(
            f"The vocoder checkpoint {self.checkpoint} is damaged or was made with other settings; "
            "start again without --resume."
        )

    def _saved_config(self, state: dict[str, Any]) -> HiFiGANConfig:
        try:
            return HiFiGANConfig.from_dict(state["config"])
        except Exception as exc:
            raise self._damaged() from exc

    def _restore(self, state: dict[str, Any]) -> None:
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminators.load_state_dict(state["discriminators"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            self.g.set_state(state["rng"].cpu())
            torch.set_rng_state(state["torch_rng"].cpu())
            self.step = int(state["step"])
        except Exception as exc:
            raise self._damaged() from exc

    def _set_learning_rate(self) -> None:
        rate = self.recipe.learning_rate_at(self.step)
        for optimizer in (self.opt_g, self.opt_d):
            for group in optimizer.param_groups:
                group["lr"] = rate

    @property
    def adversarial(self) -> bool:
        """Past the generator-only warm-up: the discriminators train."""
        return self.step >= self.recipe.warmup_steps

    @property
    def judged(self) -> bool:
        """Past the discriminators' own warm-up too: they judge the generator."""
        return self.step >= self.recipe.warmup_steps + self.recipe.discriminator_warmup

    def train_step(self) -> dict[str, float]:
        mel, real = self.pairs.batch(self.recipe.batch_size, self.g, self.rows)
        mel, real = mel.to(self.device), real.to(self.device)
        self._set_learning_rate()
        fake = self.g_net(mel)[..., : real.shape[-1]]
        metrics = {}
        if self.adversarial:
            scores, _ = self.d_net(torch.cat([real, fake.detach()]))
            loss_d = discriminator_loss(*zip(*(s.chunk(2) for s in scores), strict=True))
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            metrics["discriminator"] = loss_d.item()
        losses = reconstruction_losses(
            real, fake, self.spectrogram, self.recipe.stft_weight, self.recipe.convergence_weight
        )
        loss_g = sum(weight * loss for loss, weight in losses.values())
        if self.judged:
            loss_g = MEL_WEIGHT * loss_g + self._adversarial_generator_loss(real, fake)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        if self.recipe.gradient_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.generator.parameters(), self.recipe.gradient_clip)
        self.opt_g.step()
        self.step += 1
        return {"generator": loss_g.item(), **metrics, **{name: loss.item() for name, (loss, _) in losses.items()}}

    def _adversarial_generator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Adversarial + feature matching, through the discriminators but without training them.

        The unwrapped discriminators with frozen weights: no gradient sync or weight
        gradients for a network this step does not update.
        """
        self.discriminators.requires_grad_(False)
        try:
            with torch.no_grad():
                _, real_features = self.discriminators(real)
            fake_scores, fake_features = self.discriminators(fake)
        finally:
            self.discriminators.requires_grad_(True)
        return adversarial_loss(fake_scores) + FEATURE_WEIGHT * feature_matching_loss(real_features, fake_features)

    @torch.no_grad()
    def preview(self) -> Path | None:
        """The longest recording's first seconds, original and reconstruction, into the run folder (rank 0)."""
        if not self.workers.main:
            return None
        clip = max(self.clips, key=lambda c: c.numel())[: self.spectrogram.sample_rate * 4]
        self.generator.eval()
        recon = self.generator(waveform_to_mel(clip[None].to(self.device), self.spectrogram))[0, : clip.numel()]
        self.generator.train()
        folder = self.options.run_dir / "previews"
        write_audio(folder / "original.wav", clip, self.spectrogram.sample_rate)
        return write_audio(folder / f"step{self.step:07d}.wav", recon.cpu(), self.spectrogram.sample_rate)

    def vocoder_state(self) -> VocoderState:
        """The generator as the model file stores it: weight norm folded, on the CPU."""
        generator = Generator(self.config)
        generator.load_state_dict({k: v.cpu() for k, v in self.generator.state_dict().items()})
        state = {k: v.detach() for k, v in generator.remove_weight_norm().state_dict().items()}
        return VocoderState(NAME, self.config.to_dict(), state, steps=self.step)

    def held_out_figures(self) -> dict[str, float]:
        """The host's held-out check of the generator as it is now (rank 0, every `judge_every` steps, at the end)."""
        due = self.step % self.options.judge_every == 0 or self.step in (1, self.total)
        if self.judge is None or not self.workers.main or not due:
            return {}
        self.generator.eval()
        try:
            return self.judge(HiFiGANVocoder(self.generator, self.spectrogram))
        finally:
            self.generator.train()

    def _report(self, progress: ProgressCallback | None, metrics: dict[str, float], rate: float) -> None:
        message = f"step {self.step}/{self.total}"
        if self.step % self.options.preview_every == 0:
            preview = self.preview()
            message += f", preview {preview.name}" if preview else ""
        metrics = {**metrics, **self.held_out_figures()}
        if progress is None or not self.workers.main:
            return
        phase = (
            "adversarial" if self.judged else "discriminators warming up" if self.adversarial else "spectral warm-up"
        )
        progress(Progress("train-vocoder", self.step, self.total, f"{message} ({phase})", {**metrics, "steps/s": rate}))

    def run(self, progress: ProgressCallback | None, should_stop: ShouldStop | None = None) -> VocoderState:
        try:
            return self._run(progress, should_stop)
        finally:
            self.workers.leave()

    def _run(self, progress: ProgressCallback | None, should_stop: ShouldStop | None) -> VocoderState:
        started, first = time.perf_counter(), self.step
        try:
            while self.step < self.total:
                metrics = self.workers.mean(self.train_step())
                if self.step % self.options.checkpoint_every == 0:
                    self.save_checkpoint()
                rate = (self.step - first) / max(time.perf_counter() - started, 1e-9)
                self._report(progress, metrics, rate)
                asked = should_stop is not None and should_stop()
                if self.workers.anyone(asked) and self.step < self.total:
                    self._cancel()
        except KeyboardInterrupt:  # a Ctrl-C mid-step (a second one, or without the host): one process only
            if self.workers.world > 1:
                raise
            self._cancel()
        self.save_checkpoint()
        self.preview()
        return self.vocoder_state()

    def _cancel(self) -> None:
        self.save_checkpoint()
        raise TrainingCancelled(
            f"Vocoder training stopped at step {self.step}; the checkpoint in {self.options.run_dir} is kept, "
            "resume to continue (--resume on the command line).",
            state=self.vocoder_state() if self.workers.main else None,
        )


def train(
    spectrogram: SpectrogramConfig,
    dataset: TrainingAudio,
    config: dict[str, Any],
    progress: ProgressCallback | None,
    should_stop: ShouldStop | None = None,
    judge: Judge | None = None,
) -> VocoderState:
    """The `train_vocoder` hook's work: a fresh, resumed or warm-started run, in one process or many."""
    return Trainer(spectrogram, dataset, TrainingOptions.from_config(config), judge).run(progress, should_stop)
