"""Benchmark suite: what `make run` costs after the packages are installed, and signing in.

    .venv/bin/python bench/setup_time.py [--root PATH] [--sign-ins N]

Runs `make run`'s steps as it does, each a process of its own, against a fresh SQLite file and
media folder in a temporary directory: migrate, load_catalogue, seed_demo, then runserver, timed
until it serves the sign-in page (the first page a person sees). Goals: the whole under 90 s,
seed_demo under 20 s.

Then signs in through the form on that server (the POST alone, its CSRF token fetched before)
`--sign-ins` times, beside its floor: the password hasher alone checking the same password
against the same stored hash, in a process of the same settings. Goal: hasher + 50 ms.

`--root` measures another checkout (for example main, to compare) with this same script.
Each step's CPU time is printed beside its wall time: on a shared machine the CPU time says
what the step costs, the wall time what a person waits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import Context, Row  # noqa: E402

RUN_GOAL = 90.0
SEED_GOAL = 20.0
SIGN_IN_ALLOWANCE = 0.050
EMAIL = "helen.carter@demo.example"
PASSWORD = "demo-pass-2026"  # noqa: S105 (the demo's printed password)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _step(root: Path, env: dict[str, str], *args: str) -> tuple[float, float]:
    """Wall and CPU seconds of `manage.py *args` as a process of its own."""
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (this project's manage.py)
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, _children_cpu() - cpu


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _first_page(root: Path, env: dict[str, str], port: int) -> tuple[subprocess.Popen, float]:
    """Start runserver as `make run` does and time it until the sign-in page is served."""
    started = time.perf_counter()
    server = subprocess.Popen(  # noqa: S603 (this project's manage.py)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - started < 120:
        if server.poll() is not None:
            raise SystemExit("runserver exited before serving a page")
        try:
            # / redirects to the sign-in page; urllib follows it.
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
                return server, time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise SystemExit("runserver served no page within 120 s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The sign-in's answer is its redirect: the page it leads to is another request (the home
    page, timed with the other pages), which urllib would otherwise fetch inside the timing."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _sign_ins(port: int, count: int) -> list[float]:
    """Seconds of each sign-in POST through the form (a fresh session each time), up to its
    redirect."""
    base = f"http://127.0.0.1:{port}"
    times = []
    for _ in range(count):
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
        with opener.open(base + "/accounts/login/") as response:
            page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        started = time.perf_counter()
        try:
            opener.open(base + "/accounts/login/", form).read()
            status = 200  # the form again: refused
        except urllib.error.HTTPError as answer:  # the 302, not followed
            answer.read()
            status = answer.code
        times.append(time.perf_counter() - started)
        if status != 302 or "sessionid" not in {cookie.name for cookie in jar}:
            raise SystemExit(f"signing in failed ({status})")
    return times


HASHER_ALONE = """
import json, sys, time, statistics
import django
django.setup()
from django.contrib.auth.hashers import check_password
from accounts.models import User
encoded = User.objects.get(email=sys.argv[1]).password
times = []
for _ in range(int(sys.argv[3])):
    started = time.perf_counter()
    assert check_password(sys.argv[2], encoded)
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""


def _hasher_alone(root: Path, env: dict[str, str], count: int) -> list[float]:
    done = subprocess.run(  # noqa: S603 (a fixed script)
        [sys.executable, "-c", HASHER_ALONE, EMAIL, PASSWORD, str(count)],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, 9)


def measure(root: Path, sign_ins: int = 7) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="setup-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "AWS_STORAGE_BUCKET_NAME": "",
        "CELERY_BROKER_URL": "",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("DJANGO_DEBUG", None)  # make run's DEBUG, which seed_demo needs
    result: dict = {"root": str(root)}
    server = None
    try:
        result["migrate"] = _step(root, env, "migrate", "--noinput")
        result["load_catalogue"] = _step(root, env, "load_catalogue")
        result["seed_demo"] = _step(root, env, "seed_demo")
        port = _free_port()
        server, first = _first_page(root, env, port)
        result["first_page"] = first
        result["total"] = (
            sum(result[step][0] for step in ("migrate", "load_catalogue", "seed_demo")) + first
        )
        result["sign_in"] = _sign_ins(port, sign_ins)
        result["hasher"] = _hasher_alone(root, env, sign_ins)
    finally:
        if server is not None:
            _stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def rows(result: dict) -> list[Row]:
    seed_wall, seed_cpu = result["seed_demo"]
    sign_in = statistics.median(result["sign_in"])
    hasher = statistics.median(result["hasher"])
    steps = ", ".join(
        f"{step} {result[step][0]:.1f} s ({result[step][1]:.1f} s CPU)"
        for step in ("migrate", "load_catalogue", "seed_demo")
    )
    return [
        Row(
            "make run after install: first page",
            result["total"],
            "s",
            f"< {RUN_GOAL:.0f} s",
            result["total"] < RUN_GOAL,
            note=f"{steps}, runserver to the sign-in page {result['first_page']:.1f} s",
        ),
        Row(
            "seed_demo on a fresh database",
            seed_wall,
            "s",
            f"< {SEED_GOAL:.0f} s",
            seed_wall < SEED_GOAL,
            note=f"{seed_cpu:.1f} s CPU",
        ),
        Row(
            "sign-in through the form (POST)",
            sign_in * 1000,
            "ms",
            f"< hasher + {SIGN_IN_ALLOWANCE * 1000:.0f} ms",
            sign_in < hasher + SIGN_IN_ALLOWANCE,
            floor=hasher * 1000,
            note=f"floor: check_password alone; median of {len(result['sign_in'])}",
        ),
    ]


def bench(ctx: Context) -> list[Row]:
    return rows(measure(BENCH.parent, sign_ins=max(3, ctx.repeat)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=BENCH.parent, help="the checkout to measure")
    parser.add_argument("--sign-ins", type=int, default=7)
    args = parser.parse_args()
    result = measure(args.root.resolve(), sign_ins=args.sign_ins)
    print(json.dumps(result, indent=1))
    for row in rows(result):
        floor = "" if row.floor is None else f", floor {row.floor:,.1f} {row.unit}"
        ratio = "" if row.ratio is None else f" (x{row.ratio:.2f})"
        print(
            f"{row.measure}: {row.project:,.1f} {row.unit}{floor}{ratio}; goal {row.goal}: "
            f"{'met' if row.met else 'NOT MET'}. {row.note}"
        )


if __name__ == "__main__":
    main()
