"""One process of a `torchrun` job that trains a tiny HiFi-GAN (test_distributed.py starts it).

`python -m torch.distributed.run --standalone --nproc-per-node N ddp_worker.py MODEL OPTIONS_JSON [CANCEL_AT]`:
trains the model's vocoder with the options; rank 0's progress callback cancels at step
CANCEL_AT, as a Ctrl-C would. Exit code 3 when the run was cancelled.
"""

from __future__ import annotations

import json
import sys

from distill.host.recordings import model_training_audio
from distill.host.vocoder_training import is_main_process, train_model_vocoder
from distill.models.format import load_model
from distill.vocoders import TrainingCancelled


def main(model_path: str, options: str, cancel_at: int = 0) -> int:
    model = load_model(model_path)

    def cancel(event) -> None:
        if event.completed == cancel_at:
            raise KeyboardInterrupt

    progress = cancel if cancel_at and is_main_process() else None
    try:
        train_model_vocoder(model, "hifigan", model_training_audio(model), json.loads(options), progress)
    except TrainingCancelled:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3], *(int(a) for a in sys.argv[3:])))
