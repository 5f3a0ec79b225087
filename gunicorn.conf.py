"""gunicorn settings shared by scripts/start.sh, the container and the benchmarks.

Never preload the application: workers must not inherit a forked TensorFlow or
interpreter state. Each worker warms its own models after it starts.
"""

import ctypes
import os

# One BLAS / OpenMP thread per worker: the workers already keep the cores busy, and
# OpenBLAS's own threads contending with them made the mel filter bank product
# (0.08 ms) take 18 ms at the 95th percentile under load. Set before workers import
# numpy.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '7860')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
timeout = 60
graceful_timeout = 20
preload_app = False
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None


def tune_allocator() -> bool:
    """glibc malloc: reuse freed memory from one request to the next.

    A prediction allocates and frees temporaries of 0.1-4 MB. By default glibc maps
    blocks that large afresh every time and hands the top of its heap back to the
    system, so each request paid for page faults: the features of a 5 s clip took
    7-10 ms instead of 4. Here blocks up to 4 MB come from the heap, and up to 32 MB
    of free heap is kept. MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ in the
    environment take precedence; other C libraries are left alone.
    """
    if {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & set(os.environ):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(
        mallopt(m_mmap_threshold, 4 << 20) and mallopt(m_trim_threshold, 32 << 20)
    )


def post_fork(server, worker):
    tune_allocator()


def post_worker_init(worker):
    import time

    from django.db import DatabaseError

    from training.serving import warm_up

    started = time.perf_counter()
    try:
        warmed = warm_up()
    except DatabaseError as exc:  # not migrated yet: the first request will say so
        worker.log.warning("No models warmed: %s", exc)
    else:
        worker.log.info(
            "Warmed models in %.2f s: %s",
            time.perf_counter() - started,
            ", ".join(warmed) or "none",
        )
