"""nginx from Debian with the shipped deploy/nginx/auction.conf, in a temporary prefix on loopback ports.

The shipped file is used as it is, but for what differs on a test machine: the upstream processes'
ports, the listening ports, the certificate (made here: a self-signed one for 127.0.0.1) and the
access log's path. It is included in a minimal nginx.conf, as /etc/nginx/nginx.conf includes
conf.d/. Without nginx the tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.ops.oidc_support import ROOT, need

SHIPPED = ROOT / "deploy" / "nginx" / "auction.conf"
START_TIMEOUT = 10.0


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day: (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auction.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def client_context(cert_path: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert_path))


def site(upstreams: list[int], https_port: int, http_port: int, cert: Path, key: Path, log: Path) -> str:
    """The shipped configuration with this machine's ports, certificate and log."""
    text = SHIPPED.read_text()
    shipped_servers = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;\n" for port in (8001, 8002))
    replacements = {
        shipped_servers: "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;\n" for port in upstreams),
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/ssl/auction/fullchain.pem": str(cert),
        "/etc/ssl/auction/privkey.pem": str(key),
        "/var/log/nginx/auction.access.log": str(log),
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"deploy/nginx/auction.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def main_config(prefix: Path, site_file: Path) -> Path:
    """A minimal nginx.conf around the site, everything under ``prefix``."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = prefix / "temp"
    config = prefix / "nginx.conf"
    config.write_text(
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"  client_body_temp_path {temp / 'client_body'};\n  proxy_temp_path {temp / 'proxy'};\n"
        f"  fastcgi_temp_path {temp / 'fastcgi'};\n  uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"  scgi_temp_path {temp / 'scgi'};\n  access_log off;\n"
        f"  include {site_file};\n"
        "}\n"
    )
    return config


def nginx_binary() -> str:
    return need("nginx")


def check(config: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the configuration."""
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(prefix), "-c", str(config)], capture_output=True, text=True, timeout=30
    )


class Nginx:
    """nginx in the foreground on the configuration; stopped (SIGQUIT, graceful) by :meth:`stop`."""

    def __init__(self, config: Path, prefix: Path, port: int) -> None:
        self.config = config
        self.prefix = prefix
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(self.prefix), "-c", str(self.config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{(self.prefix / 'error.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
