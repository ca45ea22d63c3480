"""gunicorn's settings for the web service (`gunicorn config.wsgi -c config/gunicorn.py`).

How many workers, and why. A page costs 15-70 ms of Python (template and ORM work, measured
in-process on the demo centre) and a few ms waiting on PostgreSQL, which runs on the same
machine; a sign-in costs about 0.5 s of CPU in the password hasher, on purpose. With sync
workers each process does one of these at a time, so a worker hashing a password or waiting on
the database leaves its share of a core idle and the pages behind it queue: two processes per
core keep the cores busy without the workers merely taking turns (more add memory and database
connections, not throughput). Threads (gthread) keep a worker answering pages while one of its
threads hashes a password: hashlib's PBKDF2 releases the GIL. So: 2 processes per core, 4
threads each, unless WEB_CONCURRENCY / WEB_THREADS say otherwise (a container given one core).

bench/load.py measures the shape: on this 2-core machine with little else running (0.3 of a
core), 50 people on the large centre (Scale Centre) through 4 x 4 gthread got p95 115 ms over
1,481 pages (24.5 pages a second, no errors), gunicorn using 0.52 of the 2 cores (23 ms of CPU
a request, sign-ins included) and PostgreSQL 0.05, so the shape leaves room. `--sweep` compares
2 to 5 sync workers and gthread side by side; run it on an idle machine before changing these
numbers.
"""

from __future__ import annotations

import os

_cores = os.cpu_count() or 1

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores))
threads = int(os.environ.get("WEB_THREADS", 4))
worker_class = "gthread" if threads > 1 else "sync"
# Behind the TLS proxy: one request at a time per thread is what a page needs; a slow client is
# the proxy's to buffer.
timeout = int(os.environ.get("WEB_TIMEOUT", 30))
graceful_timeout = 10
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
