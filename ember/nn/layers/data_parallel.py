"""`DataParallel`: PyTorch's single-process wrapper, so scripts that wrap their model in it run.

On one device (the CPU, or one GPU) PyTorch's `DataParallel` simply calls the module, and so does
ember's; the parameters keep PyTorch's `module.` prefix in the state dict. Splitting a batch over
several GPUs in one process is not supported: use `ember.nn.parallel.DistributedDataParallel` (one
process per device), as PyTorch itself recommends.

    >>> model = ember.nn.DataParallel(ember.nn.Linear(4, 2))
    >>> model(ember.randn(3, 4)).shape, list(model.state_dict())
    (ember.Size([3, 2]), ['module.weight', 'module.bias'])
"""
from ember.errors import ArgumentError
from ember.nn.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Runs `module` on its one device; `device_ids` may name at most one device."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise ArgumentError(f"DataParallel: module must be an ember.nn.Module, got {type(module).__name__}")
        ids = list(device_ids) if device_ids is not None else []
        if len(ids) > 1:
            raise ArgumentError(f"DataParallel: device_ids={ids}: splitting a batch over several devices in one "
                                f"process is not supported; use ember.nn.parallel.DistributedDataParallel with one "
                                f"process per device")
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise ArgumentError(f"DataParallel: dim must be an int, got {dim!r}")
        self.module, self.device_ids, self.output_device, self.dim = module, ids, output_device, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
