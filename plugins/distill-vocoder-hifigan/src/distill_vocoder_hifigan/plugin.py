"""Hook implementations: first choice for a model whose own HiFi-GAN has proven itself."""

from __future__ import annotations

from distill.vocoders import VocoderUnavailable, hookimpl, model_spectrogram_config, own_vocoder_proven

NAME = "hifigan"
PRIORITY = 300  # above BigVGAN (200): its verdict on the path asked about beats Griffin-Lim on held-out recordings
UNPROVEN_PRIORITY = 50  # below Griffin-Lim (100): lost to it, or never judged; `--vocoder hifigan` still works


def _has_weights(model) -> bool:
    return getattr(model, "vocoder_type", None) == NAME and getattr(model, "vocoder_state_dict", None) is not None


@hookimpl
def vocoder_priority(model, purpose):
    """First when its held-out verdict on the path `purpose` names (generated or resynthesised) beats Griffin-Lim."""
    if not _has_weights(model):
        return None
    return PRIORITY if own_vocoder_proven(model, purpose) else UNPROVEN_PRIORITY


@hookimpl
def load_vocoder(name, model, device):
    if name != NAME:
        return None
    if not _has_weights(model):
        who = f"Model '{model.name}'" if model is not None else "Without --model, there"
        hint = (
            f"distill train-vocoder --model {model.name}" if model is not None else "distill train-vocoder --model NAME"
        )
        raise VocoderUnavailable(f"{who} has no HiFi-GAN vocoder of its own; train one with `{hint}`.")
    from distill_vocoder_hifigan.config import INPUT_SCALE, HiFiGANConfig, is_complete
    from distill_vocoder_hifigan.vocoder import HiFiGANVocoder, build_generator

    again = f"train it again with `distill train-vocoder --model {model.name}`"
    stored = model.vocoder_config if isinstance(model.vocoder_config, dict) else {}
    try:
        config = HiFiGANConfig.from_dict(stored)
        if config.input_scale == INPUT_SCALE:
            generator = build_generator(config, model.vocoder_state_dict)
    except (TypeError, ValueError, RuntimeError, KeyError) as exc:
        raise VocoderUnavailable(
            f"Model '{model.name}' carries HiFi-GAN weights that do not fit their own settings (damaged); {again}."
        ) from exc
    if config.input_scale != INPUT_SCALE:
        if not is_complete(stored):
            raise VocoderUnavailable(f"Model '{model.name}' carries damaged HiFi-GAN settings; {again}.")
        raise VocoderUnavailable(
            f"Model '{model.name}' carries a HiFi-GAN from an older Distill that expects {config.input_scale} mels; "
            f"{again}."
        )
    return HiFiGANVocoder(generator, model_spectrogram_config(model)).to(device)


@hookimpl
def train_vocoder(name, model, dataset, config, progress, should_stop, judge):
    if name != NAME:
        return None
    from distill_vocoder_hifigan.training import train

    return train(model_spectrogram_config(model), dataset, config, progress, should_stop, judge)
