"""The people of `bench/load.py`, for locust: each signs in through the form, then works through
their role's main pages with a pause of 1-3 s between them, as people do.

Not run on its own: `bench/load.py` writes the plan (who signs in, which pages each may open)
to the file named by LOAD_PLAN, starts gunicorn and runs locust on this file. Every response
time goes to the file named by LOAD_SAMPLES, so load.py computes exact percentiles per page.

Imported only by locust (it patches the standard library with gevent on import), never by
`bench/run.py`.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from typing import Any, ClassVar

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN: dict[str, Any] = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115
SAMPLES: list[tuple[str, float, bool, float]] = []
STATE: dict[str, float] = {}
SIGN_IN = "sign-in (POST)"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')


@events.request.add_listener
def _record(
    name: str, response_time: float, exception: BaseException | None, **kwargs: Any
) -> None:
    SAMPLES.append((name, response_time, exception is None, time.time()))


@events.spawning_complete.add_listener
def _all_signed_in(user_count: int, **kwargs: Any) -> None:
    STATE.setdefault("spawned_at", time.time())


@events.quitting.add_listener
def _write_samples(**kwargs: Any) -> None:
    with open(os.environ["LOAD_SAMPLES"], "w") as out:
        json.dump({"samples": SAMPLES, **STATE}, out)


class Person(FastHttpUser):
    """One signed-in person. Subclasses say the role and how often each page is opened."""

    abstract = True
    role: ClassVar[str] = ""
    # page kind -> weight; a kind the person has no page of is skipped.
    pages: ClassVar[dict[str, int]] = {}
    wait_time = between(1, 3)
    # One login per person: the n-th person of a role takes the n-th login of that role.
    _taken: ClassVar[dict[str, int]] = {}

    def on_start(self) -> None:
        logins = PLAN["people"][self.role]
        index = Person._taken.get(self.role, 0)
        Person._taken[self.role] = index + 1
        self.login = logins[index % len(logins)]
        # As behind the TLS proxy production expects (SECURE_PROXY_SSL_HEADER): no redirect to
        # https, and the form's POST carries the https origin that CSRF checks.
        origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        self.headers = {"X-Forwarded-Proto": "https"}
        # The proxy's https ends here: the session and CSRF cookies are Secure, and a browser
        # sends them to the https site, so this client sends them on the loopback's http.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "http")))
        self.post_headers = {
            **self.headers,
            "Origin": origin,
            "Referer": origin + "/accounts/login/",
        }
        self.sign_in()

    def sign_in(self) -> None:
        with self.client.get(
            "/accounts/login/", name="sign-in page", headers=self.headers, catch_response=True
        ) as page:
            token = CSRF_FIELD.search(page.text or "")
            if page.status_code != 200 or token is None:
                page.failure(f"no sign-in form ({page.status_code})")
                return
        self.fetch_static(page.text)
        with self.client.post(
            "/accounts/login/",
            name=SIGN_IN,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": self.login["email"],
                "password": self.login["password"],
                "next": "",
            },
            headers=self.post_headers,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in refused for {self.login['email']} ({answer.status_code})")
                return
        self.open("home", "/")

    def fetch_static(self, html: str) -> None:
        """The page's CSS and scripts, once: the browser keeps them afterwards."""
        if getattr(self, "static_done", False):
            return
        self.static_done = True
        for url in sorted(set(STATIC.findall(html))):
            with self.client.get(
                url, name="static", headers=self.headers, catch_response=True
            ) as r:
                if r.status_code != 200:
                    r.failure(f"{url}: {r.status_code}")

    def open(self, kind: str, url: str) -> None:
        # No redirects followed: a page that sends a signed-in person to the sign-in form (or
        # anywhere else) is a failure, not a fast 200 of the wrong page.
        with self.client.get(
            url,
            name=f"{self.role}: {kind}",
            headers=self.headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                where = response.headers.get("Location", "") if response.headers else ""
                response.failure(f"{url}: {response.status_code} {where}")
            elif b"Signed in as" not in (response.content or b""):
                response.failure(f"{url}: not signed in")

    @task
    def work(self) -> None:
        mine = self.login["pages"]
        kinds = [kind for kind in self.pages if mine.get(kind)]
        kind = random.choices(kinds, weights=[self.pages[k] for k in kinds])[0]  # noqa: S311
        self.open(kind, random.choice(mine[kind]))  # noqa: S311


def _count(role: str) -> int:
    return int(PLAN["mix"][role])


class Learner(Person):
    role = "learner"
    fixed_count = _count("learner")
    pages = {"home": 3, "portfolio": 4, "registration": 1, "evidence": 3, "plans": 1, "witness": 1}


class Assessor(Person):
    role = "assessor"
    fixed_count = _count("assessor")
    pages = {"home": 3, "queue": 3, "assess": 3, "portfolio": 2, "unit": 2, "plans": 1}


class Verifier(Person):
    role = "iv"
    fixed_count = _count("iv")
    pages = {
        "home": 2,
        "validation": 2,
        "strategies": 1,
        "plan": 2,
        "sample": 2,
        "ratings": 1,
        "portfolio": 1,
    }


class Admin(Person):
    role = "admin"
    fixed_count = _count("admin")
    pages = {
        "home": 2,
        "people": 2,
        "person": 1,
        "registrations": 2,
        "registration": 1,
        "claims": 2,
        "claim batch": 1,
        "holds": 1,
    }
