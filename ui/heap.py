"""Give freed tensor memory back to the operating system (glibc's malloc, Linux).

glibc serves an allocation above its mmap threshold with its own mmap, returned to the system when
freed; below it, from the heap, where freed memory stays with the process. The threshold starts at
128 KiB but rises to the size of any mmapped block that is freed (up to 32 MiB), so after the first
training run frees its activations, every later tensor of a few MiB (a batch's activations, a
gradient, a chart's array) comes from the heap, and what a run frees stays resident, scattered
between live objects. Fixing the threshold stops that rise: the resident memory of a server whose
sessions train follows what they hold instead of the peak of what they once used (bench/server.py's
``memory`` section measures both).
"""

from __future__ import annotations

import ctypes
import functools
import os

M_MMAP_THRESHOLD = -3  # glibc malloc.h
MMAP_THRESHOLD_BYTES = 256 * 1024  # tensors above this are mapped and unmapped on their own
ENV_OFF = "RNNVIZ_MALLOC_DEFAULTS"  # set to 1 to keep glibc's defaults (the bench's comparison)


@functools.cache  # app.py calls it on every run; once is enough
def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold for this process; True when it was set (False elsewhere: another
    C library, or the comparison run)."""
    if os.environ.get(ENV_OFF) == "1":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False
