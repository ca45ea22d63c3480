"""Keep the C allocator from returning large transient buffers to the kernel after each use.

A request body moves through the server in 1 MB pieces: gunicorn's socket reads and buffers,
Django's multipart parser, the upload handler. Each piece is a fresh bytes object, and glibc
gives anything over its mmap threshold (128 KB to start) a mapping of its own, unmapped again
when freed, so every page of every piece is faulted in anew: measured here, two copies of 1 GB
in 1 MB pieces took 3.4 s that way against 0.2 s from the heap, and a 1 GB upload spent more
time in the kernel than in Python. Raising the thresholds keeps such pieces in the heap, which
only holds what the busiest moment needed (a few MB for an upload).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

# From glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Pieces up to 16 MB come from the heap; the heap's free top is returned past 64 MB.
MMAP_THRESHOLD = 16 * 1024 * 1024
TRIM_THRESHOLD = 64 * 1024 * 1024


def keep_large_buffers_on_heap() -> bool:
    """Tune glibc's malloc for this process; False (and nothing changed) on another C library."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt answers 1 on success; musl's stub answers 0 and changes nothing.
    done = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    done = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and done
    if not done:
        logger.info("malloc thresholds left as they were: not glibc")
    return done
