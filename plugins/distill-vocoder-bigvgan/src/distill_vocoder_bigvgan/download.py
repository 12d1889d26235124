"""Getting the official weights: the cache folder, hand-placed files, or a first-use download.

Only `config.json` and `bigvgan_generator.pt` are fetched, with huggingface_hub, into
`{data_dir}/vocoders/bigvgan_v2_44khz_128band_512x/`. huggingface_hub writes each file to
an `.incomplete` temporary and renames it only once whole; we then check the weights'
SHA-256 against the hub's ETag, so a partial or corrupt file is never used as if whole.

A hub that refuses or cannot be resolved fails at once, so the next run simply asks again.
A hub that does not answer makes the run wait for the timeout; that is remembered for a
quiet period, so offline users are not made to wait on every run. A stop request cancels a
transfer between blocks; huggingface_hub then removes its temporary, so nothing partial stays.

`describe()` is the state a front end shows (`vocoder_assets`): ready or not, what is on
disk, and why a download cannot happen now.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from distill.vocoders import (
    Cancelled,
    Progress,
    ProgressCallback,
    ShouldStop,
    VocoderAssets,
    VocoderUnavailable,
    size_text,
    vocoders_dir,
)
from distill_vocoder_bigvgan.generator import CONFIG_FILE, WEIGHTS_FILE
from distill_vocoder_bigvgan.weights_cache import CACHE_FILE

REPO_ID = "nvidia/bigvgan_v2_44khz_128band_512x"
FOLDER_NAME = "bigvgan_v2_44khz_128band_512x"
FILES = (CONFIG_FILE, WEIGHTS_FILE)
METADATA_TIMEOUT_S = 10.0
QUIET_PERIOD_S = 600.0
TIMEOUT_RECORD = ".hub-did-not-answer"  # in the weights folder; its mtime says when
PROGRESS_BLOCK = 512 * 1024  # bytes between progress reports and stop checks: twice a second at 1 MB/s
TITLE = "the BigVGAN-v2 universal vocoder"
DOWNLOAD_BYTES = 489_000_000  # the official bigvgan_generator.pt, about; the hub's own figure once asked


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


def announcement(size: float | None) -> str:
    """What a transfer is, said before its bar: the size, and that it happens once."""
    return f"Downloading {TITLE} ({size_text(size or DOWNLOAD_BYTES)}), a one-time download"


def _progress_class(progress: ProgressCallback | None, filename: str, should_stop: ShouldStop | None):
    """A tqdm class that forwards huggingface_hub's byte counts to our progress callback and
    stops the transfer between blocks once `should_stop` says so."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class Reporter(hf_tqdm):
        """Counts bytes itself: a disabled tqdm (no terminal) does not."""

        received = 0

        def update(self, n: float | None = 1) -> bool | None:
            if should_stop is not None and should_stop():
                raise Cancelled
            self.received += n or 0
            if progress is not None:
                total = float(self.total) if self.total else None
                message = announcement(total) if filename == WEIGHTS_FILE else ""
                progress(Progress(f"download {filename}", float(self.received), total, message, unit="bytes"))
            return super().update(n)

    return Reporter


@contextmanager
def _reporting_often() -> Iterator[None]:
    """huggingface_hub reads its transfers in 10 MB blocks: a progress report every 10 MB is one every
    few seconds on a slow line, and a stop waits as long. Smaller blocks while we download."""
    from huggingface_hub import constants

    previous = constants.DOWNLOAD_CHUNK_SIZE
    constants.DOWNLOAD_CHUNK_SIZE = PROGRESS_BLOCK
    try:
        yield
    finally:
        constants.DOWNLOAD_CHUNK_SIZE = previous


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


def _why_not_now(folder: Path) -> str | None:
    """Why no download may start now (offline, or the hub did not answer lately), or None."""
    if offline():
        return f"BigVGAN weights are not downloaded and HF_HUB_OFFLINE is set; {manual_hint()}."
    age = _recent_timeout(folder / TIMEOUT_RECORD)
    if age is not None:
        ago = f"{age:.0f} s" if age < 90 else f"{age / 60:.0f} min"
        return (
            f"BigVGAN weights could not be downloaded (the model hub did not answer {ago} ago; "
            f"Distill asks again {QUIET_PERIOD_S / 60:.0f} min after that); {manual_hint()}."
        )
    return None


def describe() -> VocoderAssets:
    """The weights' state for a front end: ready or not, what the folder holds, and any reason it cannot fetch."""
    folder = weights_dir()
    sizes = {path.name: path.stat().st_size for path in folder.iterdir() if path.is_file()}
    checkpoint, prepared = sizes.get(WEIGHTS_FILE), sizes.get(CACHE_FILE)
    contents = ""
    if checkpoint and prepared:
        contents = (
            f"the {size_text(checkpoint)} download and a {size_text(prepared)} copy prepared for this machine's "
            "fast loading; both stay, since the copy is rebuilt from the download whenever either changes"
        )
    ready = is_cached()
    return VocoderAssets(
        title=TITLE,
        folder=folder,
        ready=ready,
        download_bytes=checkpoint or DOWNLOAD_BYTES,
        bytes_on_disk=sum(size for name, size in sizes.items() if not name.startswith(".")),
        contents=contents,
        unavailable=None if ready else _why_not_now(folder),
    )


def ensure_weights(progress: ProgressCallback | None = None, should_stop: ShouldStop | None = None) -> Path:
    """The folder holding both files, downloading what is missing; one sentence on failure.

    `should_stop` cancels the transfer (`Cancelled`); huggingface_hub removes the partial file.
    """
    folder = weights_dir()
    if is_cached():
        return folder
    refusal = _why_not_now(folder)
    if refusal is not None:
        raise VocoderUnavailable(refusal)
    record = folder / TIMEOUT_RECORD
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    try:
        with _reporting_often():
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
                        tqdm_class=_progress_class(progress if name == WEIGHTS_FILE else None, name, should_stop),
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
