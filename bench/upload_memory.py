"""Benchmark: the web process's peak memory growth while it takes a 1 GB upload (target < 50 MB).

    .venv/bin/python bench/upload_memory.py [--size-mb 1024] [--server gunicorn|runserver] [--keep]

Starts the app as a separate process (gunicorn with one sync worker, or runserver --noreload) on
a free loopback port, with a throw-away SQLite database, media folder and temporary folder, and
EVIDENCE_MAX_UPLOAD_MB=1100. It makes a learner with a draft evidence, signs in through the real
sign-in page, uploads one small file to warm the process up, then streams the big file: a PDF
header and filler generated on the fly, sent with a Content-Length and a streamed body (Django
does not accept chunked request bodies), so this client never holds more than a chunk of it.

Memory is read with psutil from the process that serves the request: its resident set size
sampled every 10 ms during the upload, and the kernel's own high-water mark (VmHWM), which is
reset just before the upload where Linux allows it.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 50
MB = 1024 * 1024
BOUNDARY = "----upload-memory-benchmark"
EMAIL = "learner@bench.example"
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n"
CHUNK = 1024 * 1024


def prepare() -> None:
    """Run in a child process: migrate, load the catalogue, make the learner and a draft."""
    sys.path.insert(0, str(ROOT))
    import datetime

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import Centre, Membership, Role, User
    from portfolios.evidence import evidence_create
    from portfolios.models import EvidenceContext, EvidenceMethod, Registration
    from qualifications.models import Qualification

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    centre = Centre.objects.create(name="Benchmark Centre", number="B00001")
    qualification = Qualification.objects.order_by("pk").first()
    learner = User.objects.create_user(
        EMAIL, os.environ["BENCH_PASSWORD"], full_name="Bea Benchmark"
    )
    Membership.objects.create(user=learner, centre=centre, role=Role.LEARNER)
    registration = Registration.objects.create(
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=datetime.date.today(),
    )
    evidence = evidence_create(
        actor=learner,
        registration=registration,
        title="Recorded observation",
        evidence_date=datetime.date.today(),
        method=EvidenceMethod.OBSERVATION,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    print(json.dumps({"evidence": evidence.pk}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(kind: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    if kind == "gunicorn":
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            "--timeout=900",
        ]
    else:
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    return subprocess.Popen(  # noqa: S603 (fixed command)
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("the server exited before it was ready")
        try:
            with urllib.request.urlopen(base + "/health/", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not answer within 30 s")


def serving_process(server: subprocess.Popen, kind: str) -> psutil.Process:
    master = psutil.Process(server.pid)
    if kind == "runserver":
        return master
    for _ in range(100):
        workers = master.children()
        if workers:
            return workers[0]
        time.sleep(0.1)
    raise SystemExit("gunicorn started no worker")


def sign_in(
    opener: urllib.request.OpenerDirector, jar: http.cookiejar.CookieJar, base: str, password: str
) -> str:
    with opener.open(base + "/accounts/login/") as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": EMAIL, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(base + "/accounts/login/", form).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit("signing in failed")
    return cookies["csrftoken"]


def multipart(name: str, size: int) -> tuple[int, Iterator[bytes]]:
    """The length and the chunks of a one-file multipart body whose file is `size` bytes."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    line = b"% filler: a benchmark stands in for a long recording of an observation\n"
    filler = (line * (CHUNK // len(line) + 1))[:CHUNK]

    def chunks() -> Iterator[bytes]:
        yield head + PDF_HEAD
        left = size - len(PDF_HEAD)
        while left > 0:
            yield filler[: min(CHUNK, left)]
            left -= CHUNK
        yield tail

    return len(head) + size + len(tail), chunks()


def upload(
    opener: urllib.request.OpenerDirector, url: str, csrf: str, name: str, size: int
) -> dict:
    length, body = multipart(name, size)
    request = urllib.request.Request(  # noqa: S310 (loopback URL we built)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
            "Accept": "application/json",
            "X-CSRFToken": csrf,
        },
    )
    with opener.open(request, timeout=900) as response:
        return json.loads(response.read())


def vm_hwm(process: psutil.Process) -> int | None:
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) * 1024 if match else None


def reset_hwm(process: psutil.Process) -> bool:
    try:
        Path(f"/proc/{process.pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Sampler(threading.Thread):
    def __init__(self, process: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.peak = 0
        self.samples = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            self.samples += 1
            time.sleep(0.01)


def bench(ctx: object) -> list:
    """A suite of bench/run.py: the 1 GB upload's memory growth and speed (in child processes,
    on their own throw-away database; the bench database is not touched)."""
    sys.path.insert(0, str(ROOT))
    from bench.harness import Row

    found = measure(argparse.Namespace(size_mb=1024, server="gunicorn", keep=False))
    return [
        Row(
            measure="upload_memory: web process memory growth, 1 GB upload",
            project=found["growth_mb"],
            unit="MB",
            goal=f"< {TARGET_MB} MB",
            met=found["growth_mb"] < TARGET_MB,
        ),
        Row(
            measure="upload_memory: 1 GB upload through gunicorn",
            project=found["mb_per_s"],
            unit="MB/s",
            goal="(see upload: the share of dd's speed)",
            met=True,
            note=f"{found['seconds']:.1f} s",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return
    found = measure(args)
    if found["growth_mb"] >= TARGET_MB:
        sys.exit(1)


def measure(args: argparse.Namespace) -> dict[str, float]:
    """Upload and measure (printing as it goes); the numbers the rows need."""
    workdir = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    (workdir / "tmp").mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "EVIDENCE_MAX_UPLOAD_MB": "1100",
        "AWS_STORAGE_BUCKET_NAME": "",
        # Django's temporary upload files go here, beside the media folder.
        "TMPDIR": str(workdir / "tmp"),
        "DJANGO_LOG_LEVEL": "WARNING",
        # A fresh password for the throw-away learner, for the prepare step and the sign-in.
        "BENCH_PASSWORD": secrets.token_urlsafe(16),
    }
    size = args.size_mb * MB
    server = None
    try:
        prepared = subprocess.run(  # noqa: S603 (this script)
            [sys.executable, __file__, "--prepare"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        evidence = json.loads(prepared.stdout.strip().splitlines()[-1])["evidence"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(args.server, port, env, workdir / "server.log")
        wait_until_up(base, server)
        web = serving_process(server, args.server)

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        csrf = sign_in(opener, jar, base, env["BENCH_PASSWORD"])
        target = f"{base}/portfolio/files/evidence/{evidence}/upload/"
        warm = upload(opener, target, csrf, "warm-up.pdf", 64 * 1024)
        if not warm["files"][0]["ok"]:
            raise SystemExit(f"the warm-up upload was refused: {warm}")

        time.sleep(0.5)
        baseline = web.memory_info().rss
        hwm_reset = reset_hwm(web)
        hwm_before = vm_hwm(web)
        sampler = Sampler(web)
        sampler.start()
        started = time.perf_counter()
        answer = upload(opener, target, csrf, "observation.pdf", size)
        elapsed = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
        hwm_after = vm_hwm(web)
        client_peak = psutil.Process().memory_info().rss

        [result] = answer["files"]
        if not result["ok"]:
            raise SystemExit(f"the upload was refused: {result['message']}")
        with sqlite3.connect(workdir / "bench.sqlite3") as db:
            stored_size, stored_name = db.execute(
                "SELECT size, file FROM portfolios_evidencefile ORDER BY id DESC LIMIT 1"
            ).fetchone()
        on_disk = (workdir / "media" / stored_name).stat().st_size
        leftovers = list((workdir / "tmp").iterdir())

        growth = (sampler.peak - baseline) / MB
        print(f"server: {args.server}, process {web.pid}")
        print(
            f"uploaded {size / MB:,.0f} MB in {elapsed:.1f} s ({size / MB / elapsed:,.0f} MB/s); "
            f"stored {on_disk / MB:,.0f} MB (recorded size {stored_size / MB:,.0f} MB); "
            f"temporary files left: {len(leftovers)}"
        )
        print(
            f"web process RSS: {baseline / MB:.1f} MB before, peak {sampler.peak / MB:.1f} MB "
            f"({sampler.samples} samples)"
        )
        if hwm_after is not None:
            since = "reset before the upload" if hwm_reset else "since start-up"
            print(
                f"VmHWM ({since}): {hwm_before / MB:.1f} MB before, "
                f"{hwm_after / MB:.1f} MB after: growth over the baseline "
                f"{(hwm_after - baseline) / MB:.1f} MB"
            )
        print(f"benchmark client RSS: {client_peak / MB:.1f} MB")
        verdict = "PASS" if growth < TARGET_MB else "FAIL"
        print(f"peak memory growth: {growth:.1f} MB (target < {TARGET_MB} MB): {verdict}")
        return {"growth_mb": growth, "seconds": elapsed, "mb_per_s": size / MB / elapsed}
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
