"""Phase-gradient heap integration: the phase it builds from magnitude alone is the signal's own."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from distill_vocoder_pghi import Grid, PGHIVocoder, integrate_phase
from distill_vocoder_pghi import vocoder as vocoder_module

from distill.vocoders import SpectrogramConfig, waveform_to_mel

RATE, N_FFT, HOP = 16000, 512, 128
GRID = Grid(HOP, N_FFT, N_FFT)
WINDOW = torch.hann_window(N_FFT, dtype=torch.float64)


def _stft(x: torch.Tensor) -> torch.Tensor:
    return torch.stft(x, N_FFT, HOP, window=WINDOW, center=True, return_complex=True)


def _wrapped(angle: np.ndarray) -> np.ndarray:
    return np.angle(np.exp(1j * angle))


def _spectral_convergence_db(magnitude: np.ndarray, phase: np.ndarray, length: int) -> float:
    """How far the STFT of the rebuilt signal is from `magnitude` (dB; lower is better)."""
    rebuilt = torch.istft(
        torch.from_numpy(magnitude * np.exp(1j * phase)), N_FFT, HOP, window=WINDOW, center=True, length=length
    )
    again = _stft(rebuilt).abs().numpy()
    return 20 * math.log10(np.linalg.norm(again - magnitude) / np.linalg.norm(magnitude))


def test_a_tones_phase_advances_by_its_frequency_each_hop():
    t = torch.arange(RATE, dtype=torch.float64) / RATE
    truth = _stft(torch.sin(2 * math.pi * 1000.25 * t))
    phase = integrate_phase(truth.abs().numpy(), GRID)
    m = round(1000.25 * N_FFT / RATE)
    true_step = _wrapped(np.diff(np.angle(truth.numpy()[m, 10:40])))
    ours = _wrapped(np.diff(phase[m, 10:40]))
    assert np.abs(_wrapped(ours - true_step)).max() < 0.05


def test_an_impulses_phase_across_bins_places_it_in_time():
    x = torch.zeros(RATE, dtype=torch.float64)
    x[40 * HOP + 30] = 1.0  # 30 samples after frame 40's centre
    truth = _stft(x)
    phase = integrate_phase(truth.abs().numpy(), GRID)
    true_step = _wrapped(np.diff(np.angle(truth.numpy()[20:200, 40])))
    ours = _wrapped(np.diff(phase[20:200, 40]))
    assert np.abs(_wrapped(ours - true_step)).max() < 0.05


def test_rebuilt_signal_matches_the_magnitude_far_better_than_zero_phase():
    t = torch.arange(RATE, dtype=torch.float64) / RATE
    signal = torch.sin(2 * math.pi * (200 + 300 * t) * t) + 0.5 * torch.sin(2 * math.pi * 1500 * t)
    signal[8000] += 3.0
    magnitude = _stft(signal).abs().numpy()
    ours = _spectral_convergence_db(magnitude, integrate_phase(magnitude, GRID), signal.numel())
    zero = _spectral_convergence_db(magnitude, np.zeros_like(magnitude), signal.numel())
    assert ours < -15 and zero > -3, (ours, zero)


def test_known_frames_are_kept_and_integration_continues_from_them():
    t = torch.arange(RATE // 2, dtype=torch.float64) / RATE
    magnitude = _stft(torch.sin(2 * math.pi * 440 * t)).abs().numpy()
    whole = integrate_phase(magnitude, GRID)
    known = whole[:, :10] + 1.0  # any decided phase, shifted
    continued = integrate_phase(magnitude, GRID, known=known)
    assert np.array_equal(continued[:, :10], known)
    m = round(440 * N_FFT / RATE)
    step = _wrapped(continued[m, 10] - continued[m, 9])
    assert abs(_wrapped(step - (whole[m, 10] - whole[m, 9]))) < 1e-6


def test_long_renders_continue_each_partials_phase_across_chunk_joints(monkeypatch):
    """Each chunk continues the phase decided before it: no partial jumps where chunks meet.

    (Chunks integrated from scratch jump by up to 3 rad here.)
    """
    config = SpectrogramConfig(sample_rate=RATE, n_fft=N_FFT, hop_length=HOP, n_mels=64)
    t = torch.arange(3 * RATE) / RATE
    tone = (0.4 * torch.sin(2 * math.pi * 330 * t) + 0.2 * torch.sin(2 * math.pi * 495 * t))[None]
    monkeypatch.setattr(vocoder_module, "CHUNK_FRAMES", 64)
    audio = PGHIVocoder(config).mel_to_waveform(waveform_to_mel(tone, config), tone.shape[-1])[0].double().numpy()
    seconds = np.arange(audio.size) / RATE
    for frequency in (330, 495):
        baseband = audio * np.exp(-2j * np.pi * frequency * seconds)
        for joint in range(64 * HOP, audio.size - 400, 64 * HOP):
            before, after = baseband[joint - 300 : joint - 20].mean(), baseband[joint + 20 : joint + 300].mean()
            assert abs(np.angle(after / before)) < 0.3, (frequency, joint)


@pytest.mark.parametrize("iterations", [0, 16])
def test_level_is_kept(iterations):
    config = SpectrogramConfig(sample_rate=RATE, n_fft=N_FFT, hop_length=HOP, n_mels=64)
    t = torch.arange(RATE // 2) / RATE
    tone = (0.3 * torch.sin(2 * math.pi * 440 * t) * torch.exp(-3 * t))[None]
    out = PGHIVocoder(config, iterations=iterations).mel_to_waveform(waveform_to_mel(tone, config), tone.shape[-1])
    assert abs(20 * math.log10(out.pow(2).mean().sqrt() / tone.pow(2).mean().sqrt())) < 1.5
