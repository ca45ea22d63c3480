"""gunicorn's settings for the web service (`gunicorn -c config/gunicorn.py config.wsgi`).

How many workers, and why. A page spends most of its time in Python (template and ORM work)
and the rest waiting for PostgreSQL; a sign-in spends half a second of CPU in the password
hasher on purpose. On the 2-core machine bench/load.py measures (50 people, PostgreSQL on the
same machine) 2 and 3 sync workers left cores idle while every worker waited on the database
or a sign-in's hasher, and pages queued behind sign-ins; beyond about 2 per core the workers
only take turns on the same cores and add memory. Threads (gthread) keep a worker answering
pages while one of its threads hashes a password (the hasher releases the GIL), which is what
the people arriving in the morning meet. So: 2 processes per core, 4 threads each, unless
WEB_CONCURRENCY / WEB_THREADS say otherwise (e.g. a container given one core).
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
