"""What a run ran on, for its row and result.json: the device's name, the torch, CUDA and cuDNN
versions, the NVIDIA driver, the CPU's vector capability. Read once per process."""

from __future__ import annotations

import platform
import subprocess
from functools import cache

import torch


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _driver() -> str:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return ""


@cache
def device_info(device_type: str) -> dict[str, str]:
    info = {
        "device_name": _cpu_name(),
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cuda": "",
        "cudnn": "",
        "driver": "",
    }
    if device_type == "cuda" and torch.cuda.is_available():
        info.update(
            device_name=torch.cuda.get_device_name(0),
            cuda=str(torch.version.cuda or ""),
            cudnn=str(torch.backends.cudnn.version() or ""),
            driver=_driver(),
        )
    return info
