"""Who is calling: staff users with hashed passwords, and bearer tokens (JWT, HS256)
that carry username, roles and department and expire.

Demo users exist only when ``APP_ENV=demo``; their password is ``DEMO_PASSWORD``, hashed
with PBKDF2 at start-up like any stored password, never kept in clear. Staff accounts
(``gateway.staff_accounts``) are stored, in every mode; a token of one is honoured only
while its account is enabled and its password unchanged since (its ``gen`` claim).
"""

import hashlib
import os
import time
from dataclasses import dataclass
from functools import wraps

import jwt
from flask import current_app, g, request

from gateway.limits import count_failure, refuse_while_guessing
from gateway.problems import Problem
from services.common import constant_time

PBKDF2_ROUNDS = 120_000

# username, display name, roles, department
DEMO_USERS = (
    ("clerk", "统一受理窗口 Intake clerk", ("clerk",), "hall"),
    ("reviewer", "市场监管审查员 Market regulation reviewer", ("reviewer",), "market_regulation"),
    ("chief", "市场监管首席代表 Market regulation chief representative", ("chief",), "market_regulation"),
    ("tax_reviewer", "税务审查员 Taxation reviewer", ("reviewer",), "taxation"),
    ("tax_chief", "税务首席代表 Taxation chief representative", ("chief",), "taxation"),
    ("police_reviewer", "公安审查员 Public security reviewer", ("reviewer",), "public_security"),
    ("police_chief", "公安首席代表 Public security chief representative", ("chief",), "public_security"),
    ("hr_reviewer", "人社审查员 Human resources reviewer", ("reviewer",), "human_resources"),
    ("hr_chief", "人社首席代表 Human resources chief representative", ("chief",), "human_resources"),
    ("nr_reviewer", "自然资源审查员 Natural resources reviewer", ("reviewer",), "natural_resources"),
    ("nr_chief", "自然资源首席代表 Natural resources chief representative", ("chief",), "natural_resources"),
    ("ca_reviewer", "民政审查员 Civil affairs reviewer", ("reviewer",), "civil_affairs"),
    ("ca_chief", "民政首席代表 Civil affairs chief representative", ("chief",), "civil_affairs"),
    ("health_reviewer", "卫健审查员 Health reviewer", ("reviewer",), "health"),
    ("health_chief", "卫健首席代表 Health chief representative", ("chief",), "health"),
    ("housing_reviewer", "住建审查员 Housing and construction reviewer", ("reviewer",), "housing_construction"),
    ("housing_chief", "住建首席代表 Housing and construction chief representative", ("chief",), "housing_construction"),
    ("cashier", "银行收费窗口 Bank window cashier", ("cashier",), "hall"),
    ("window", "办事窗口 Window staff", ("window",), "hall"),
    ("supervisor", "电子监察 Supervisor", ("supervisor",), "supervision"),
    ("designer", "流程设计 Process designer", ("designer",), "hall"),
    ("admin", "系统管理员 Administrator", ("admin",), "hall"),
)


def hash_password(password, salt=None):
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PBKDF2_ROUNDS)
    return salt.hex() + "$" + digest.hex()


def password_matches(password, stored):
    salt, digest = stored.split("$")
    candidate = hash_password(password, bytes.fromhex(salt)).split("$")[1]
    return constant_time.equal(candidate, digest)


_NO_USER_HASH = hash_password("")


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    roles: tuple
    department: str
    password_hash: str
    generation: int | None = None  # of a stored staff account (gateway.staff_accounts); None: a demo user

    def as_principal(self):
        """What services are told about the caller."""
        return {"username": self.username, "roles": list(self.roles), "department": self.department}


class UserDirectory:
    """The demo users (in memory) and, behind them, the stored staff accounts."""

    def __init__(self, users=(), accounts=None):
        self._users = {u.username: u for u in users}
        self.accounts = accounts

    @classmethod
    def from_settings(cls, settings, accounts=None):
        if settings["APP_ENV"] != "demo":
            return cls(accounts=accounts)
        password_hash = hash_password(settings["DEMO_PASSWORD"])
        return cls(
            (User(name, display, roles, dept, password_hash) for name, display, roles, dept in DEMO_USERS), accounts
        )

    def is_demo_user(self, username):
        return username in self._users

    def demo_views(self):
        return [
            {"username": u.username, "roles": list(u.roles), "department": u.department} for u in self._users.values()
        ]

    def authenticate(self, username, password):
        """The user these credentials sign in, or None (unknown, wrong or disabled alike)."""
        user = self._users.get(username)
        if user is None and self.accounts is not None:
            user = self.accounts.user(username)
        # Check a password even for unknown users, at the same cost, so that timing does not
        # tell which usernames exist.
        stored = user.password_hash if user else _NO_USER_HASH
        if not password_matches(password, stored) or user is None:
            return None
        return user


def issue_token(user, secret, ttl_seconds, now=None):
    now = int(now if now is not None else time.time())
    claims = {
        "sub": user.username,
        "roles": list(user.roles),
        "department": user.department,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if user.generation is not None:
        claims["gen"] = user.generation
    return jwt.encode(claims, secret, algorithm="HS256")


def _unauthorized(detail):
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="hall"'})


API_KEY_HEADER = "X-API-Key"


def current_principal():
    """The caller from the bearer token or a department system's API key, or a 401 problem.
    A request with both is refused: one of them would be checked and the other ignored, so a
    wrong or stolen one would pass unnoticed beside a good one."""
    key = request.headers.get(API_KEY_HEADER)
    if key is not None and "Authorization" in request.headers:
        raise _unauthorized(f"send either a bearer token or an {API_KEY_HEADER}, not both")
    if key is not None:
        refuse_while_guessing()
        principal = current_app.extensions["api_keys"].principal(key[:200])
        if principal is None:
            count_failure()
            raise Problem(
                401,
                "Unauthorized",
                "the API key is unknown, expired or revoked",
                headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'},
            )
        g.caller = principal
        return principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("this endpoint needs a bearer token (POST /api/v1/auth/token)")
    try:
        claims = jwt.decode(
            token, current_app.config["TOKEN_SECRET"], algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("the token has expired; ask for a new one") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("the token is not valid") from None
    if "gen" in claims and not current_app.extensions["users"].accounts.honours(claims["sub"], claims["gen"]):
        raise _unauthorized("the account was disabled or its password reset; sign in again")
    g.caller = {
        "username": claims["sub"],
        "roles": list(claims.get("roles", [])),
        "department": claims.get("department"),
    }
    return g.caller


def requires_role(*roles):
    """Let the request through only for a caller holding one of ``roles`` (any role if none)."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = current_principal()
            if roles and not set(roles) & set(principal["roles"]):
                raise Problem(403, "Forbidden", f"this needs one of the roles: {', '.join(roles)}")
            g.principal = principal
            return view(*args, **kwargs)

        guarded.required_roles = roles
        return guarded

    return decorate


def checks_roles_itself(*roles):
    """Declare the ``roles`` of a handler that checks its caller itself, because it also lets
    in someone without a role (an applicant's query code, a signing bank): records
    ``required_roles`` as ``requires_role`` does, for the OpenAPI and role checks."""

    def decorate(view):
        view.required_roles = roles
        return view

    return decorate
