"""Getting the official weights: the cache folder, hand-placed files, or a first-use download.

Only `config.json` and `bigvgan_generator.pt` are fetched, with huggingface_hub, into
`{data_dir}/vocoders/bigvgan_v2_44khz_128band_512x/`. huggingface_hub writes each file to
an `.incomplete` temporary and renames it only once whole; we then check the weights'
SHA-256 against the hub's ETag, so a partial or corrupt file is never used as if whole.

A hub that refuses or cannot be resolved fails at once, so the next run simply asks again.
A hub that does not answer makes the run wait for the timeout; that is remembered for a
quiet period, so offline users are not made to wait on every run.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from distill.vocoders import Progress, ProgressCallback, VocoderUnavailable, vocoders_dir
from distill_vocoder_bigvgan.generator import CONFIG_FILE, WEIGHTS_FILE

REPO_ID = "nvidia/bigvgan_v2_44khz_128band_512x"
FOLDER_NAME = "bigvgan_v2_44khz_128band_512x"
FILES = (CONFIG_FILE, WEIGHTS_FILE)
METADATA_TIMEOUT_S = 10.0
QUIET_PERIOD_S = 600.0
TIMEOUT_RECORD = ".hub-did-not-answer"  # in the weights folder; its mtime says when


def weights_dir() -> Path:
    """Created on first look, so a user placing files by hand finds the folder waiting."""
    folder = vocoders_dir() / FOLDER_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_cached() -> bool:
    """Both files present (downloaded earlier or placed by hand): no network needed."""
    return all((weights_dir() / name).is_file() for name in FILES)


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def manual_hint() -> str:
    return f"place {CONFIG_FILE} and {WEIGHTS_FILE} from https://huggingface.co/{REPO_ID} in {weights_dir()} by hand"


def _progress_class(progress: ProgressCallback | None, filename: str):
    """A tqdm class that forwards huggingface_hub's byte counts to our progress callback."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class Reporter(hf_tqdm):
        """Counts bytes itself: a disabled tqdm (no terminal) does not."""

        received = 0

        def update(self, n: float | None = 1) -> bool | None:
            self.received += n or 0
            if progress is not None:
                total = float(self.total) if self.total else None
                progress(Progress(f"download {filename}", float(self.received), total, unit="bytes"))
            return super().update(n)

    return Reporter


def _timed_out(exc: BaseException | None) -> bool:
    """Whether the hub did not answer, whichever HTTP library raised it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _recent_timeout(record: Path) -> float | None:
    """Seconds since the hub last did not answer, if within the quiet period."""
    try:
        age = time.time() - record.stat().st_mtime
    except OSError:
        return None
    return age if 0 <= age < QUIET_PERIOD_S else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_weights(progress: ProgressCallback | None = None) -> Path:
    """The folder holding both files, downloading what is missing; one sentence on failure."""
    folder = weights_dir()
    if is_cached():
        return folder
    if offline():
        raise VocoderUnavailable(f"BigVGAN weights are not downloaded and HF_HUB_OFFLINE is set; {manual_hint()}.")
    record = folder / TIMEOUT_RECORD
    age = _recent_timeout(record)
    if age is not None:
        ago = f"{age:.0f} s" if age < 90 else f"{age / 60:.0f} min"
        raise VocoderUnavailable(
            f"BigVGAN weights could not be downloaded (the model hub did not answer {ago} ago; "
            f"Distill asks again {QUIET_PERIOD_S / 60:.0f} min after that); {manual_hint()}."
        )
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    try:
        for name in FILES:
            if (folder / name).is_file():
                continue
            expected = get_hf_file_metadata(hf_hub_url(REPO_ID, name), timeout=METADATA_TIMEOUT_S).etag
            path = Path(
                hf_hub_download(
                    REPO_ID,
                    name,
                    local_dir=folder,
                    etag_timeout=METADATA_TIMEOUT_S,
                    tqdm_class=_progress_class(progress, name),
                )
            )
            if expected and len(expected) == 64 and _sha256(path) != expected:
                path.unlink(missing_ok=True)
                raise OSError(f"{name} arrived corrupt (checksum mismatch)")
    except Exception as exc:  # network, HTTP and file errors all mean "not available now"
        if _timed_out(exc):
            record.touch()
            reason = f"the model hub did not answer within {METADATA_TIMEOUT_S:g} s; Distill asks again in "
            reason += f"{QUIET_PERIOD_S / 60:.0f} min"
        else:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise VocoderUnavailable(f"BigVGAN weights could not be downloaded ({reason}); {manual_hint()}.") from exc
    record.unlink(missing_ok=True)
    return folder
