"""`--nproc-per-node N`: run a CLI command as N data-parallel processes under PyTorch's `torchrun`.

The parent starts `python -m torch.distributed.run --standalone --nproc-per-node N -m
distill.cli.main ...` (the same command without the option) in a session of its own, so
Ctrl-C reaches only the parent, which asks the workers to stop at the end of their step
(a stop file the workers watch) and waits for rank 0 to store the vocoder and its
verdict. A second Ctrl-C ends them at once. Workers report their exit code through a
file rather than torchrun's own failure report, so a cancel or bad input still ends in
one sentence.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from distill.errors import DistillError

OUTCOME_VARIABLE = "DISTILL_WORKER_OUTCOME"
NPROC_OPTION = "--nproc-per-node"


def without_option(argv: list[str], option: str) -> list[str]:
    """`argv` minus `option` and its value (`--opt N` or `--opt=N`)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == option:
            skip = True
        elif not arg.startswith(f"{option}="):
            out.append(arg)
    return out


def launch_workers(nproc: int, stop_file: Path) -> int:
    """Run this process's command as `nproc` torchrun workers; their exit code."""
    argv = without_option(sys.argv[1:], NPROC_OPTION)
    with tempfile.TemporaryDirectory(prefix="distill-launch-") as folder:
        outcome = Path(folder) / "outcome.json"
        env = {**os.environ, OUTCOME_VARIABLE: str(outcome)}
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
        command = [
            sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "--local-ranks-filter=0", "-m", "distill.cli.main", *argv,
        ]  # fmt: skip
        try:
            process = subprocess.Popen(command, env=env, start_new_session=True)
        except OSError as exc:
            raise DistillError(f"Could not start torchrun ({exc}).") from exc
        code = _wait(process, stop_file)
        if outcome.is_file():
            return int(json.loads(outcome.read_text())["code"])
        if code:
            raise DistillError(f"The {nproc} training processes failed (torchrun exit code {code}); see the log above.")
        return code


def _wait(process: subprocess.Popen, stop_file: Path) -> int:
    """Wait for the workers; Ctrl-C asks them to stop between steps, a second one ends them."""
    asked = False
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            if asked:
                os.killpg(process.pid, signal.SIGKILL)
                return process.wait()
            asked = True
            stop_file.parent.mkdir(parents=True, exist_ok=True)
            stop_file.touch()


def worker_exit(code: int) -> int:
    """In a worker started by `launch_workers`: hand the exit code to the parent, tell torchrun all is well."""
    target = os.environ.get(OUTCOME_VARIABLE)
    if not target:
        return code
    if int(os.environ.get("RANK", "0")) == 0:
        Path(target).write_text(json.dumps({"code": code}))
    return 0
