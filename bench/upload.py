"""Benchmark suite: a 1 GB upload beside `dd` writing the same size to the same disk.

    .venv/bin/python bench/upload.py [--size-mb 1024] [--server gunicorn|runserver] [--keep]

Goals: throughput at least 60 % of dd's in the same run (the file is written once, hashed as it
streams in, and renamed into storage), and the web process's memory growth under 50 MB.

Starts the app as a separate process (gunicorn with one sync worker through config.wsgi, as
deployed, or runserver --noreload) on a free loopback port, with a throw-away SQLite database,
media folder and temporary folder, and EVIDENCE_MAX_UPLOAD_MB=1100. The temporary folder
(TMPDIR) is a folder of its own: the upload handler stages files inside the media folder, so the
rename into place never depends on where TMPDIR is. It makes a learner with a draft evidence,
signs in through the real sign-in page, uploads one small file to warm the process up, then
streams the big file: a PDF header and filler generated on the fly, sent with a Content-Length
and a streamed body (Django does not accept chunked request bodies), so this client never holds
more than a chunk of it. The time runs from the first byte sent to the answer, so it covers
parsing, writing, hashing, syncing and storing.

The floor is `dd bs=1M conv=fdatasync` writing as many bytes into the same media folder, run
just before and just after the upload; their mean is the floor. Both sides end with the bytes on
disk: the upload handler fdatasyncs a file before it is recorded (a stored evidence file must
survive a crash as its database row does), so dd syncs too. Without a sync on either side dd
would time the page cache, not the disk, and the comparison would say nothing about writing once.

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
sys.path.insert(0, str(ROOT / "bench"))

from harness import Context, Row  # noqa: E402

STAGING = ".incoming"  # portfolios.uploads.STAGING; this process does not import Django

TARGET_MB = 50
DD_SHARE = 0.60
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


def dd_write(folder: Path, size: int) -> float:
    """Seconds `dd` takes to write `size` bytes into `folder` and fdatasync them: the floor."""
    target = folder / "dd.bin"
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (fixed command)
        [
            shutil.which("dd") or "/bin/dd",
            "if=/dev/zero",
            f"of={target}",
            f"bs={CHUNK}",
            f"count={size // CHUNK}",
            "conv=fdatasync",
        ],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def measure(*, size_mb: int = 1024, server_kind: str = "gunicorn", keep: bool = False) -> dict:
    """Upload `size_mb` MB through the running app, with dd before and after; the figures."""
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
        # Anything else's temporary files; the uploads themselves are staged in the media folder.
        "TMPDIR": str(workdir / "tmp"),
        "DJANGO_LOG_LEVEL": "WARNING",
        # A fresh password for the throw-away learner, for the prepare step and the sign-in.
        "BENCH_PASSWORD": secrets.token_urlsafe(16),
    }
    size = size_mb * MB
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
        server = start_server(server_kind, port, env, workdir / "server.log")
        wait_until_up(base, server)
        web = serving_process(server, server_kind)

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        csrf = sign_in(opener, jar, base, env["BENCH_PASSWORD"])
        target = f"{base}/portfolio/files/evidence/{evidence}/upload/"
        warm = upload(opener, target, csrf, "warm-up.pdf", 64 * 1024)
        if not warm["files"][0]["ok"]:
            raise SystemExit(f"the warm-up upload was refused: {warm}")

        (workdir / "media").mkdir(exist_ok=True)
        dd_before = dd_write(workdir / "media", size)
        time.sleep(0.5)
        baseline = web.memory_info().rss
        hwm_reset = reset_hwm(web)
        sampler = Sampler(web)
        sampler.start()
        started = time.perf_counter()
        answer = upload(opener, target, csrf, "observation.pdf", size)
        elapsed = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
        hwm_after = vm_hwm(web)
        dd_after = dd_write(workdir / "media", size)

        [result] = answer["files"]
        if not result["ok"]:
            raise SystemExit(f"the upload was refused: {result['message']}")
        with sqlite3.connect(workdir / "bench.sqlite3") as db:
            stored_size, stored_name = db.execute(
                "SELECT size, file FROM portfolios_evidencefile ORDER BY id DESC LIMIT 1"
            ).fetchone()
        on_disk = (workdir / "media" / stored_name).stat().st_size
        staged = workdir / "media" / STAGING
        leftovers = [*(workdir / "tmp").iterdir(), *(staged.iterdir() if staged.exists() else [])]
        peak = max(sampler.peak, hwm_after or 0) if hwm_reset else sampler.peak
        return {
            "server": server_kind,
            "size_mb": size / MB,
            "seconds": elapsed,
            "mb_per_s": size / MB / elapsed,
            "dd_seconds": [dd_before, dd_after],
            "dd_mb_per_s": size / MB / ((dd_before + dd_after) / 2),
            "stored_mb": on_disk / MB,
            "recorded_mb": stored_size / MB,
            "leftovers": len(leftovers),
            "baseline_mb": baseline / MB,
            "peak_mb": peak / MB,
            "growth_mb": (peak - baseline) / MB,
            "samples": sampler.samples,
            "client_mb": psutil.Process().memory_info().rss / MB,
        }
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def rows(result: dict) -> list[Row]:
    size = f"{result['size_mb']:,.0f} MB"
    return [
        Row(
            f"upload of {size}: throughput",
            result["mb_per_s"],
            "MB/s",
            f">= {DD_SHARE:.0%} of dd",
            result["mb_per_s"] >= DD_SHARE * result["dd_mb_per_s"],
            floor=result["dd_mb_per_s"],
            note=(
                f"{result['seconds']:.1f} s; floor: dd conv=fdatasync to the same folder "
                f"({result['dd_seconds'][0]:.1f} s before, {result['dd_seconds'][1]:.1f} s after)"
            ),
        ),
        Row(
            f"upload of {size}: web process memory growth",
            result["growth_mb"],
            "MB",
            f"< {TARGET_MB} MB",
            result["growth_mb"] < TARGET_MB,
            note=(
                f"RSS {result['baseline_mb']:.0f} MB before, peak {result['peak_mb']:.0f} MB; "
                f"{result['leftovers']} temporary files left"
            ),
        ),
    ]


def bench(ctx: Context) -> list[Row]:
    return rows(measure(size_mb=int(os.environ.get("BENCH_UPLOAD_MB", "1024"))))


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
    result = measure(size_mb=args.size_mb, server_kind=args.server, keep=args.keep)
    print(json.dumps(result, indent=1))
    for row in rows(result):
        ratio = "" if row.ratio is None else f" ({row.ratio:.0%} of the floor)"
        floor = "" if row.floor is None else f", floor {row.floor:,.1f} {row.unit}"
        print(
            f"{row.measure}: {row.project:,.1f} {row.unit}{floor}{ratio}; goal {row.goal}: "
            f"{'met' if row.met else 'NOT MET'}. {row.note}"
        )


if __name__ == "__main__":
    main()
