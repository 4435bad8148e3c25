"""The ``auction`` command line: arguments in, calls to the engine or the audit tool, exit codes out.

``serve`` runs the server (``api.server``); ``simulate`` and ``forget`` are
``engine.app.offline``'s; ``export``, ``replay`` and ``verify-receipt`` are the
audit tool's (``projections.audit``). Bad input exits 2 with one line on stderr
(never a traceback); ``replay`` exits 1 when the log fails verification.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any, Literal, NoReturn

import click
import orjson
from pydantic import ValidationError

from api.settings import Settings, WeakSecret, checked_secret


class Failure(click.ClickException):
    """An error reported as one line: bad input, exit code 2."""

    exit_code = 2


class _Failed(Failure):
    """The command ran and the answer is no (a log or receipt that fails verification, no key held): exit code 1."""

    exit_code = 1


def _fail(message: str, code: Literal[1, 2] = 2) -> NoReturn:
    raise (_Failed if code == 1 else Failure)(message)


def _settings(**overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as exc:  # one line: the first problem, where and what
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        _fail(f"invalid settings: {where}: {str(first.get('msg', 'invalid')).removeprefix('Value error, ')}")
    except Exception as exc:
        _fail(f"invalid settings: {str(exc).splitlines()[0]}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Judicial e-auction engine."""


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option(
    "--database", "database_url", default=None, help="sqlite:///FILE (default ./auction.sqlite3) or postgresql://..."
)
@click.option("--redis", "redis_url", default=None, help="redis://... to fan live updates out across processes.")
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="One log line per HTTP request (default off, or AUCTION_ACCESS_LOG).",
)
@click.option(
    "--harvest",
    "harvest_db",
    default=None,
    help="Serve, read-only, the cross-border catalogue `auction harvest` made in this file (no engine).",
)
def serve(
    host: str | None,
    port: int | None,
    database_url: str | None,
    redis_url: str | None,
    access_log: bool | None,
    harvest_db: str | None,
) -> None:
    """Run the engine (HTTP API, WebSocket feed, deadline scheduler), or with --harvest the catalogue of a harvest."""
    if harvest_db is not None:
        from api.harvest import HarvestError
        from api.harvest_app import run as serve_harvest

        if database_url is not None or redis_url is not None:
            _fail("--harvest serves a harvest database alone: leave out --database and --redis")
        settings = _settings(host=host, port=port, access_log=access_log)
        try:
            serve_harvest(harvest_db, settings.host, settings.port, settings.access_log, settings.default_language)
        except HarvestError as exc:
            _fail(f"--harvest: {exc}")
        return
    from pathlib import Path

    from api.server import run
    from api.settings import SECRET_FILE

    settings = _settings(host=host, port=port, database_url=database_url, redis_url=redis_url, access_log=access_log)
    if settings.secret is None and Path(SECRET_FILE).is_file():
        _secret_of(settings)  # a short ./.auction-secret stops here in one line (AUCTION_SECRET did above)
    run(settings)


@cli.command()
@click.option("--role", required=True, type=click.Choice(["bidder", "bailiff", "auditor"]))
@click.option("--subject", required=True, help="Who the token speaks for (the JWT 'sub').")
@click.option("--secret", default=None, help="Signing secret (default: AUCTION_SECRET, else ./.auction-secret).")
@click.option("--hours", type=float, default=12.0, show_default=True, help="Validity.")
@click.option(
    "--office",
    default=None,
    help="The official's office (the JWT 'office'): a bailiff acts, an auditor reads, on its auctions only; "
    "'*' gives an auditor every office's. Without it: the default office.",
)
def token(role: str, subject: str, secret: str | None, hours: float, office: str | None) -> None:
    """Print a bearer token that a server with the same secret accepts.

    For development and tests only (HS256 with the shared secret): in production people sign in
    through the court's identity provider (AUCTION_OIDC_ISSUER, docs/identity.md)."""
    from datetime import timedelta

    from api.auth import OFFICE_LIMIT, is_text, issue_token

    if not subject.strip():
        _fail("--subject must not be empty")
    if not is_text(subject) or (office is not None and not is_text(office)):
        _fail("--subject and --office must be text (the arguments are not valid UTF-8)")
    if hours <= 0:
        _fail("--hours must be positive")
    if office is not None and (not office.strip() or len(office) > OFFICE_LIMIT):
        _fail(f"--office must be a text of 1 to {OFFICE_LIMIT} characters")
    if office == "*" and role != "auditor":
        _fail("--office '*' (every office) is an auditor's: a bailiff acts for one office")
    key = _checked(secret, "--secret") if secret is not None else _secret_of(_settings())
    click.echo(issue_token(key, role, subject, timedelta(hours=hours), office=office))


def _checked(secret: str, source: str) -> str:
    try:
        return checked_secret(secret, source)
    except WeakSecret as exc:
        _fail(str(exc))


def _secret_of(settings: Settings) -> str:
    """The token secret ``settings`` name (AUCTION_SECRET, else ./.auction-secret); a short one exits 2."""
    try:
        return settings.jwt_secret()
    except WeakSecret as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read or create the token secret ./.auction-secret: {exc.strerror}")


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False, allow_dash=True))
def simulate(scenario: str) -> None:
    """Dry-run the country rules on SCENARIO.json with a simulated clock."""
    from engine.app.offline import ScenarioError
    from engine.app.offline import simulate as run
    from rules import load_rules

    try:
        with click.open_file(scenario, "rb") as handle:
            raw = orjson.loads(handle.read())
    except FileNotFoundError:
        _fail(f"{scenario}: no such file")
    except OSError as exc:
        _fail(f"{scenario}: {exc.strerror}")
    except orjson.JSONDecodeError as exc:
        _fail(f"{scenario}: not valid JSON ({exc})")
    try:
        result = asyncio.run(run(raw, load_rules))
    except ScenarioError as exc:
        _fail(f"{scenario}: {exc}")
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


@cli.command()
@click.option("--database", "database_url", default=None, help="Database URL (default as for serve).")
@click.option("--auction", "auction_id", default=None, help="Only this auction's events.")
def export(database_url: str | None, auction_id: str | None) -> None:
    """Write the event log as JSON Lines to stdout, in global order."""
    from projections.audit.log import export_lines

    settings = _settings(database_url=database_url)
    try:
        asyncio.run(export_lines(settings.database_url, auction_id, sys.stdout.buffer))
    except LookupError as exc:
        _fail(str(exc).strip("'\""))


@cli.command()
@click.argument("log", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["json", "html", "csv"]), default="json", show_default=True)
@click.option("--as-of", default=None, help="Rebuild the state at this past instant (RFC 3339 with offset).")
@click.option("--anonymise", is_flag=True, help="Bidder codes only, as a bidder's copy of the report.")
@click.option("--lang", default=None, help="The HTML report's language (en, bg, hr, lt, sl, sv, et, lv, cs, pt, el).")
@click.option(
    "--receipt",
    "receipts",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A bid receipt (or the answer to a bid, or a list of them) whose bid the log must hold; repeatable.",
)
@click.option("--public-key", default=None, help="The server's receipt key (base64url or PEM file path).")
def replay(
    log: str,
    fmt: str,
    as_of: str | None,
    anonymise: bool,
    lang: str | None,
    receipts: tuple[str, ...],
    public_key: str | None,
) -> None:
    """Verify LOG.jsonl's hash chain and print the reconstructed auction report(s).

    With --receipt, every receipt must be signed and name an accepted bid the log
    holds: a log cut after an auction's last event still verifies by its chain,
    but not against the receipt of a bid it lost."""
    from pathlib import Path

    from engine.model import InvalidValue, parse_instant
    from projections.audit.log import LogError, verify_log
    from projections.audit.receipts import check_receipts, receipts_in
    from projections.audit.render import RENDERERS, render_html
    from projections.audit.replay import replay_reports
    from rules import load_rules

    instant = None
    if as_of is not None:
        try:
            instant = parse_instant(as_of, "--as-of")
        except InvalidValue as exc:
            _fail(str(exc))
    labels = None
    if lang is not None:
        from api.i18n import LANGUAGES, translator

        if fmt != "html":
            _fail("--lang is for --format html: the JSON and CSV forms keep their English keys and codes")
        if lang not in LANGUAGES:
            _fail(f"--lang {lang!r}: not a language of the engine (one of {', '.join(LANGUAGES)})")
        labels = translator(lang)
    events = _log_events(log)
    if receipts and public_key is None:
        _fail("--receipt needs --public-key, the server's published key (GET /receipts/public-key)")
    if public_key is not None and not receipts:
        _fail("--public-key is only used with --receipt")
    key = _public_key(public_key)
    held: list[tuple[str, dict]] = []
    for name in receipts:
        try:
            found = receipts_in(orjson.loads(Path(name).read_bytes()))
        except FileNotFoundError:
            _fail(f"{name}: no such file")
        except OSError as exc:
            _fail(f"{name}: {exc.strerror}")
        except (orjson.JSONDecodeError, LogError) as exc:
            _fail(f"{name}: not a receipt ({exc})")
        held += [(name if len(found) == 1 else f"{name}[{n}]", receipt) for n, receipt in enumerate(found)]
    try:
        verify_log(events)
        if key is not None:
            check_receipts(events, held, key)
        reports = replay_reports(events, load_rules, as_of=instant, anonymise=anonymise)
    except LogError as exc:
        _fail(f"{log}: log NOT verified: {exc}", 1)
    except LookupError as exc:
        _fail(f"{log}: {str(exc).strip(chr(39))}", 1)
    if not reports:
        _fail(f"{log}: nothing had happened by {as_of}")
    sys.stdout.buffer.write(render_html(reports, labels) if labels is not None else RENDERERS[fmt](reports))
    matched = f", {len(held)} receipt(s) matched" if held else ""
    click.echo(f"auction: log verified: {len(events)} events, {len(reports)} auction(s){matched}", err=True)


@cli.command()
@click.option("--subject", required=True, help="The identity to erase (the JWT 'sub' the bidder used).")
@click.option("--database", "database_url", default=None, help="Database URL (default as for serve).")
def forget(subject: str, database_url: str | None) -> None:
    """Erase a bidder's identity key after the retention period (crypto-shredding).

    The log is unchanged and still verifies; the identity can no longer be read
    from it. Restart running servers afterwards (they may hold the key in memory)."""
    from engine.app.offline import forget as erase

    settings = _settings(database_url=database_url)
    erased = asyncio.run(erase(settings.database_url, subject, settings.keys_database_url))
    if not erased:
        _fail(f"no identity key is held for {subject!r} (never registered, or already erased)", 1)
    click.echo(f"erased the identity key of {subject!r}: the log still verifies, the identity is unreadable")


@cli.command()
@click.argument("dest", type=click.Path(dir_okay=False))
@click.option("--database", "database_url", default=None, help="sqlite:///FILE (default as for serve).")
def backup(dest: str, database_url: str | None) -> None:
    """Copy a SQLite database to DEST, consistently while the server writes, then verify the copy.

    The copy is made by SQLite's online backup API in one read transaction (a snapshot: appends
    committed meanwhile are in the next backup), written beside DEST and linked into place, so
    DEST appears whole or not at all; an existing DEST is never overwritten (exit 2). The copy's
    hash chains are then verified (exit 1 if they do not). PostgreSQL: see docs/operations.md."""
    import os
    import sqlite3
    from pathlib import Path

    url = _settings(database_url=database_url).database_url
    source = _sqlite_file(url)
    if source is None:
        _fail(f"auction backup copies SQLite databases, not {url.split(':', 1)[0]}: see docs/operations.md")
    target = Path(dest)
    if target.exists():
        _fail(f"{dest} exists: not overwritten")
    if not Path(source).is_file():
        _fail(f"no database file {source}")
    if not target.parent.is_dir():
        _fail(f"{target.parent}: no such directory")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as db:
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                db.backup(copy)  # all pages in one step: one consistent snapshot of the log
                tables = copy.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'")
                if tables.fetchone() is None:
                    _fail(f"{source} is not an auction database (it holds no event log)")
        os.link(partial, target)  # fails if DEST appeared meanwhile: never replaced
    except FileExistsError:
        _fail(f"{dest} exists: not overwritten")
    except (sqlite3.Error, OSError) as exc:
        _fail(f"backup of {source} failed: {exc}")
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    events = _verify_copy(f"sqlite:///{target}", dest)
    click.echo(f"backed up {source} to {dest}: {events} events, hash chains verified")


def _sqlite_file(url: str) -> str | None:
    """The file a SQLite database URL names (as ``auction serve`` reads it), or None for another database."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    scheme, colon, _ = url.partition(":")
    return url if not colon or len(scheme) == 1 else None


def _verify_copy(database_url: str, name: str) -> int:
    """Verify a backup's (or a restored database's) log as ``auction replay`` does: every stream's
    hash chain. Returns the number of events; exit 1 if it does not verify.

    This is where every check of a restored log belongs before it is served (a check of the
    signed log head goes here too, beside the chains)."""
    import io

    from projections.audit.log import LogError, export_lines, read_log, verify_log

    lines = io.BytesIO()
    count = asyncio.run(export_lines(database_url, None, lines))
    if count == 0:
        return 0
    try:
        verify_log(read_log(lines.getvalue().splitlines()))
    except LogError as exc:
        _fail(f"{name}: log NOT verified: {exc}", 1)
    return count


@cli.command("verify-receipt")
@click.argument("receipt", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--public-key", default=None, help="The server's published key (base64url or PEM file path).")
def verify_receipt_command(receipt: str, public_key: str | None) -> None:
    """Check a signed bid receipt (the JSON answer to an accepted bid, or its receipt) offline."""
    from projections.audit.log import LogError
    from projections.audit.receipts import ReceiptError, receipts_in, verify_receipt

    try:
        with click.open_file(receipt, "rb") as handle:
            data = orjson.loads(handle.read())
    except FileNotFoundError:
        _fail(f"{receipt}: no such file")
    except OSError as exc:
        _fail(f"{receipt}: {exc.strerror}")
    except orjson.JSONDecodeError as exc:
        _fail(f"{receipt}: not valid JSON ({exc})")
    if not isinstance(data, dict):
        _fail(f"{receipt}: a receipt is a JSON object")
    try:
        (data,) = receipts_in(data)  # the 201 answer to a bid holds its receipt
    except LogError as exc:
        _fail(f"{receipt}: not a receipt ({exc})")
    key = _public_key(public_key)
    try:
        verify_receipt(data, key)
    except ReceiptError as exc:
        _fail(f"{receipt}: receipt NOT valid: {exc}", 1)
    click.echo(
        f"receipt valid: auction {data['auction']}, {data['bidder_code']} bid {data['amount']} "
        f"at position {data['position']}, received {data['received_at']}"
    )
    if key is None:
        click.echo(
            "auction: checked with the key written in the receipt, which shows it unaltered but not who"
            " signed it; give --public-key (GET /receipts/public-key) for that",
            err=True,
        )


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--database", required=True, help="The harvester's own SQLite file (its catalogue and checkpoints).")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True, help="Feed page size.")
@click.option("--follow", is_flag=True, help="Keep harvesting every --interval seconds.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
def harvest(urls: tuple[str, ...], database: str, limit: int, follow: bool, interval: float) -> None:
    """Follow the open-data feeds (GET /feed) of the engines at URLS into one cross-border catalogue,
    resuming from its checkpoints; prints one JSON line per source. Exit 1 if a source failed."""
    from api.harvest import run

    failed = run(list(urls), database, limit, follow, interval, lambda line: click.echo(orjson.dumps(line)))
    if failed:
        _fail(f"{failed} source(s) could not be harvested", 1)


def _log_events(log: str, empty: bool = False) -> list[Any]:
    """The events of the exported log file ``log`` ("-": stdin). Not a log at all (not even its
    first line is an event) exits 2; a log with a damaged line does not verify: exit 1. ``empty``:
    a file without a line is a log without events, not bad input."""
    from projections.audit.log import LogError, read_log

    try:
        with click.open_file(log, "rb") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        _fail(f"{log}: no such file")
    except OSError as exc:
        _fail(f"{log}: {exc.strerror}")
    if empty and not any(line.strip() for line in lines):
        return []
    try:
        read_log([line for line in lines if line.strip()][:1])
    except LogError as exc:
        _fail(f"{log}: not an event log ({exc})")
    try:
        return read_log(lines)
    except LogError as exc:
        _fail(f"{log}: log NOT verified: {exc}", 1)


@cli.command()
@click.argument("log", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--head",
    "heads",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A signed tree head (GET /transparency/head, or one a receipt carries) the log must extend; repeatable.",
)
@click.option("--public-key", default=None, help="The server's key (GET /transparency/key): the heads' signatures.")
def verify(log: str, heads: tuple[str, ...], public_key: str | None) -> None:
    """Check LOG.jsonl: its hash chains, its Merkle tree, and that it extends every --head.

    A rewrite or a cut before any head held exits 1 naming the first bad position; bad
    input exits 2. Without --public-key the heads' signatures are not checked (their key
    is named by its id only): give the key the server publishes."""
    from pathlib import Path

    from projections.audit.heads import HeadError, check_log, head_in, roots_of, verify_head

    events = _log_events(log, empty=bool(heads))  # with heads, an empty log is one cut at position 1
    key = _public_key(public_key)
    held = []
    for name in heads:
        try:
            held.append((name, head_in(orjson.loads(Path(name).read_bytes()))))
        except FileNotFoundError:
            _fail(f"{name}: no such file")
        except OSError as exc:
            _fail(f"{name}: {exc.strerror}")
        except (orjson.JSONDecodeError, HeadError) as exc:
            _fail(f"{name}: not a tree head ({exc})")
    if key is not None:
        for name, head in held:
            try:
                verify_head(head, key)
            except HeadError as exc:
                _fail(f"{name}: head NOT valid: {exc}", 1)
    problem = check_log(events, held)
    if problem is not None:
        _fail(f"{log}: log NOT verified: {problem}", 1)
    root = roots_of(events, [len(events)]).roots.get(len(events), b"")
    signed = "signatures checked" if key is not None else "signatures NOT checked (no --public-key)"
    extends = f", extends {len(held)} head(s), {signed}" if held else ""
    click.echo(f"auction: log verified: {len(events)} events, tree root {root.hex()}{extends}", err=True)


@cli.command()
@click.argument("url")
@click.option("--state", type=click.Path(dir_okay=False), default=None, help="Keep the last head checked here.")
@click.option("--interval", type=click.FloatRange(min=0.05), default=10.0, show_default=True, help="Seconds.")
@click.option("--count", type=click.IntRange(min=1), default=None, help="Stop after this many heads (default: never).")
@click.option("--public-key", default=None, help="Pin this key (default: the one the server publishes at the start).")
def monitor(url: str, state: str | None, interval: float, count: int | None, public_key: str | None) -> None:
    """Follow URL's signed tree heads: each new one must extend the last (a consistency proof).

    A fork (a log that shrank, two roots for one size, a proof that fails, a bad signature)
    exits 1 in one line; a server out of reach is reported and tried again."""
    from pathlib import Path

    from api.monitor import Fork, MonitorError, follow

    try:
        follow(
            url,
            state=Path(state) if state else None,
            interval=interval,
            count=count,
            public_key=_public_key(public_key),
            say=lambda line: click.echo(line, err=True),
        )
    except MonitorError as exc:
        _fail(str(exc))
    except Fork as exc:
        _fail(f"FORK: {exc}", 1)


def _public_key(option: str | None) -> str | None:
    """The text of a --public-key option (base64url, or the path of a PEM file), checked to be
    an Ed25519 public key; a bad one exits 2 rather than passing for a bad signature."""
    from pathlib import Path

    from projections.audit.receipts import ReceiptError, load_public_key

    if option is None:
        return None
    text = option
    shown = option if len(option) <= 60 else option[:57] + "..."
    try:
        if Path(option).is_file():
            text = Path(option).read_text(encoding="utf-8")
        elif option.endswith((".pem", ".key", ".pub")):  # meant as a file
            _fail(f"--public-key: {shown}: no such file")
        load_public_key(text)
    except (OSError, UnicodeDecodeError):
        _fail(f"--public-key: cannot read {shown}")
    except ReceiptError as exc:
        _fail(f"--public-key: {exc}")
    return text


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="auction", standalone_mode=False)
    except Failure as exc:
        click.echo(f"auction: {exc.message}", err=True)
        return exc.exit_code
    except click.UsageError as exc:
        hint = f" (see 'auction {exc.ctx.info_name} --help')" if exc.ctx and exc.ctx.parent else ""
        click.echo(f"auction: {exc.format_message()}{hint}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"auction: {exc.format_message()}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("auction: aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
