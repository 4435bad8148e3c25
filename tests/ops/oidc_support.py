"""A real OpenID Connect provider for the tests: the npm package ``oidc-provider`` on Debian's Node.js.

The package is installed once into a cache directory (``test-artifacts/oidc-provider``, never
committed); each provider runs ``tests/ops/oidc/provider.js`` from a temporary directory on a
loopback port, with the clients, users and signing keys the test gives, and is stopped afterwards.
Without Node.js the tests skip, except in CI (``CI=true``), where they fail: CI must run them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc") / "provider.js"
CACHE = ROOT / "test-artifacts" / "oidc-provider"
PACKAGE = "oidc-provider@9"
START_TIMEOUT = 20.0


def need(program: str) -> str:
    """The program's path; a skip without it (a failure in CI, which must run these tests)."""
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")  # nginx is in /usr/sbin
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{program} is not installed: CI must run these tests (scripts/test.sh installs it)", pytrace=False
            )
        pytest.skip(f"{program} is not installed (scripts/test.sh installs it)")
    return found


def installed_package() -> Path:
    """``node_modules`` holding oidc-provider, installed with npm into the cache when missing."""
    node_modules = CACHE / "node_modules"
    if (node_modules / "oidc-provider" / "package.json").exists():
        return node_modules
    npm = need("npm")
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "package.json").write_text('{"private": true, "type": "module"}\n')
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
        cwd=CACHE,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"npm install {PACKAGE} failed:\n{result.stderr}", pytrace=False)
    return node_modules


def signing_key(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    """A new RSA key and its private JWK (as the provider takes it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    return key, {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


class Provider:
    """``node provider.js config.json`` on ``port``, run from ``directory``."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[str] | None = None

    def start(self, config: dict[str, Any]) -> Provider:
        node = need("node")
        modules = installed_package()
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(SCRIPT, self.directory / "provider.js")
        (self.directory / "package.json").write_text('{"private": true, "type": "module"}\n')
        link = self.directory / "node_modules"
        if not link.exists():
            link.symlink_to(modules, target_is_directory=True)
        (self.directory / "config.json").write_text(json.dumps({**config, "port": self.port}))
        with (self.directory / "provider.log").open("a") as log:
            self.process = subprocess.Popen(
                [node, "provider.js", "config.json"], cwd=self.directory, stdout=subprocess.PIPE, stderr=log, text=True
            )
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        line = self.process.stdout.readline()
        if not line.startswith("listening ") or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"the provider did not start:\n{(self.directory / 'provider.log').read_text()}")
        assert line.split()[1] == self.issuer, line
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None
