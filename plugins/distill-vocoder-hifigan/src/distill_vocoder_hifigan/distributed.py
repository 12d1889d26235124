"""Data parallelism on PyTorch's own engine: `torch.distributed` + DDP, launched by `torchrun`.

Outside `torchrun` (no `WORLD_SIZE` in the environment) everything here is a no-op and
training runs in one process. Under it, each process trains on its slice of the same
global batch; DDP averages the gradients, so N processes take the steps one process
would take with the whole batch. NCCL on CUDA, gloo on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
from torch import distributed as dist
from torch.nn.parallel import DistributedDataParallel

from distill.vocoders import DistillError


@dataclass
class Workers:
    """This process's place in the job: `rank` of `world`, training on `device`."""

    rank: int = 0
    world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    owns_group: bool = False  # we started the process group, so we end it

    @property
    def main(self) -> bool:
        """Rank 0: the only process that writes checkpoints, previews and the model file."""
        return self.rank == 0

    @classmethod
    def join(cls, device: str | torch.device) -> Workers:
        """One process, or this one's place in a `torchrun` job (process group started here)."""
        device = torch.device(device)
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls(device=device)
        rank = int(os.environ["RANK"])
        if device.type == "mps":
            raise DistillError(
                "Training on several processes needs CUDA or the CPU; MPS has no torch.distributed backend."
            )
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        owns = not dist.is_initialized()
        if owns:
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        return cls(rank, world, device, owns)

    def share(self, global_batch: int) -> slice:
        """This process's rows of a global batch; one sentence unless it splits evenly."""
        if global_batch % self.world:
            raise DistillError(
                f"A batch of {global_batch} does not split evenly over {self.world} processes; "
                f"choose a --batch-size that is a multiple of {self.world}."
            )
        size = global_batch // self.world
        return slice(self.rank * size, (self.rank + 1) * size)

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        """DDP around `module` in a job of several processes; `module` itself otherwise."""
        if self.world == 1:
            return module
        ids = [self.device] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def anyone(self, flag: bool) -> bool:
        """True on every process when it is true on any (a cancel reaches all at the same step)."""
        if self.world == 1:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """The means over processes of per-process numbers (losses for the progress display)."""
        if self.world == 1:
            return values
        tensor = torch.tensor(list(values.values()), device=self.device, dtype=torch.float64)
        dist.all_reduce(tensor)
        return {name: float(total) / self.world for name, total in zip(values, tensor.tolist(), strict=True)}

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()

    def leave(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
