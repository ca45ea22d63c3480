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

bench/load.py --sweep measures 2, 3, 4 and 5 sync workers and 2 and 4 gthread workers side by
side; on the shared 2-core machine it was written on, others' work held 1.9 of the 2 cores
(load average 18-23) and gunicorn got under 0.1 of a core in every shape, so the sweep could
not rank them there: run it on an idle machine before changing these numbers.
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
