"""The shipped deployment files: the systemd unit verifies and is hardened, nginx accepts its site,
and the example environment names only settings that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import PREFIX, Settings
from tests.ops.nginx_support import check, main_config, self_signed_certificate, site
from tests.ops.oidc_support import ROOT, need

UNIT = ROOT / "deploy" / "systemd" / "auction@.service"
ENVIRONMENT = ROOT / "deploy" / "systemd" / "auction.env.example"
HARDENING = {
    "User": "auction",
    "ProtectSystem": "strict",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "ReadWritePaths": "/var/lib/auction",
    "CapabilityBoundingSet": "",
}


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            name, _, value = line.partition("=")
            found.setdefault(name.strip(), []).append(value.strip())
    return found


def test_the_unit_is_hardened_and_runs_as_its_own_user() -> None:
    found = directives(UNIT.read_text())
    for name, value in HARDENING.items():
        assert value in found.get(name, []), (name, found.get(name))
    assert found["ExecStart"] == ["/opt/auction/.venv/bin/auction serve --host 127.0.0.1 --port %i"]


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the systemd package)")
    # The unit as installed, but for where this checkout's auction command is (verify checks it exists).
    auction = Path(sys.executable).with_name("auction")
    (tmp_path / UNIT.name).write_text(UNIT.read_text().replace("/opt/auction/.venv/bin/auction", str(auction)))
    instance = tmp_path / "auction@8001.service"
    verified = subprocess.run([analyze, "verify", str(instance)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    # A directive systemd does not know is only a warning for verify: it is one for this test too.
    (tmp_path / "broken@.service").write_text((tmp_path / UNIT.name).read_text().replace("PrivateTmp=", "PrivatTmp="))
    broken = subprocess.run(
        [analyze, "verify", str(tmp_path / "broken@8001.service")], capture_output=True, text=True, timeout=60
    )
    assert "PrivatTmp" in broken.stderr
    security = subprocess.run(
        [analyze, "security", "--offline=yes", str(instance)], capture_output=True, text=True, timeout=60
    )
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", security.stdout + security.stderr)
    if security.returncode != 0 and level is None:
        return  # an older systemd without offline security analysis
    assert level is not None and float(level.group(1)) < 2.5, security.stdout[-500:]


def test_nginx_accepts_the_shipped_site(tmp_path: Path) -> None:
    need("nginx")
    cert, key = self_signed_certificate(tmp_path)
    site_file = tmp_path / "auction.conf"
    site_file.write_text(site([8001, 8002], 8443, 8080, cert, key, tmp_path / "access.log"))
    config = main_config(tmp_path, site_file)
    checked = check(config, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    site_file.write_text(
        site_file.read_text().replace("proxy_pass http://engine;", "proxy_pass http://nowhere-known;", 1)
    )
    assert check(config, tmp_path).returncode != 0  # the check can fail


def test_the_example_environment_names_only_settings() -> None:
    known = {PREFIX + name.upper() for name in Settings.model_fields}
    named = set(re.findall(r"^#?(AUCTION_[A-Z0-9_]+)=", ENVIRONMENT.read_text(), flags=re.MULTILINE))
    assert named and named <= known, named - known
