"""A replayed report's printed forms: JSON, CSV (one row per bid received, then per line of the sale
after bidding) and an HTML page (with the lot's details and their amendments).

The HTML page can be printed in a reader's language (``render_html(reports, labels)``: the
``auction replay --lang`` and ``GET /auctions/{id}/report?lang=`` forms): its headings, captions,
row and column labels are translated, amounts written as the locale writes them and instants on
the auction's wall clock with the zone's abbreviation. The machine forms (JSON keys, codes, the
CSV) never change with the language. Without labels the page is the English one it always was."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from projections.audit.files import files_html


def render_json(reports: list[dict[str, Any]]) -> bytes:
    body: Any = reports[0] if len(reports) == 1 else {"reports": reports}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


BID_COLUMNS = (
    "auction",
    "position",
    "at",
    "bidder_code",
    "subject",
    "amount",
    "accepted",
    "reason",
    "rule",
    "automatic",
)
# After the bid columns (in their old places, so that a reader by position still finds them):
# what a line of the sale after bidding, of the deposit ledger or of a suspension says.
LINE_COLUMNS = (
    "record",
    "act",
    "status",
    "price",
    "paid",
    "payment_due",
    "due",
    "overdue",
    "until",
    "previous",
    "deadline",
    "left_seconds",
    "suspended_at",
    "reference",
    "decided_on",
    "next_auction",
    "round",
    "opens_at",
    "closes_at",
    "starting_price",
    "outcome",
    "official",
    "office",
)
CSV_COLUMNS = BID_COLUMNS + LINE_COLUMNS
_RENAMED = {"auction": "next_auction"}  # a next round's line names the new auction


def _csv_rows(report: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The report's lines as CSV records, each with the event position it comes from."""
    overdue = {entry["bidder_code"] for entry in report.get("refunds_overdue", [])}
    rows: list[tuple[int, dict[str, Any]]] = [(bid["position"], {**bid, "record": "bid"}) for bid in report["bids"]]
    for line in report.get("sale_course", []):
        rows.append((line["position"], {**{_RENAMED.get(k, k): v for k, v in line.items()}, "record": "sale"}))
    for entry in report.get("ledger", []):
        who = {"bidder_code": entry["bidder_code"], "subject": entry.get("subject")}
        for line in entry["lines"]:
            row = {**line, **who, "record": "ledger"}
            if line["status"] == "refund_due" and entry["status"] == "refund_due":
                row["overdue"] = entry["bidder_code"] in overdue  # at the report's instant (as_of)
            rows.append((line["position"], row))
    for line in report.get("suspensions", []):
        rows.append((line["position"], {**line, "record": "suspension"}))
    return sorted(rows, key=lambda row: row[0])  # stable: a position's lines keep their order


def render_csv(reports: list[dict[str, Any]]) -> bytes:
    """One row per bid received (accepted or refused) and per line of the sale after bidding, of
    the deposit ledger and of the suspensions (``record`` says which), in the order of the events,
    every auction in the log."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        for _, row in _csv_rows(report):
            writer.writerow([report["auction"]] + [_cell(row.get(c)) for c in CSV_COLUMNS[1:]])
    return out.getvalue().encode("utf-8")


def N_(msgid: str) -> str:  # noqa: N802 - gettext's name for a message marked here and translated when printed
    return msgid


class Labels(Protocol):
    """What the page needs to be printed in a language (``api.i18n.Translator`` is one)."""

    @property
    def language(self) -> str: ...

    def gettext(self, msgid: str, **params: Any) -> str: ...

    def money(self, amount: Any, currency: str | None = None) -> str: ...

    def instant(self, value: Any, zone: str | None) -> str: ...


class _Plain:
    """The English page as it always was: labels as given, amounts and instants as the report has them."""

    language = "en"

    def gettext(self, msgid: str, **params: Any) -> str:
        return msgid.format(**params) if params else msgid

    def money(self, amount: Any, currency: str | None = None) -> str:
        return _cell(amount)

    def instant(self, value: Any, zone: str | None) -> str:
        return _cell(value)


# Column keys -> their heading on a translated page (the plain page heads columns with the keys).
COLUMN_LABELS = {
    "position": N_("Position"),
    "at": N_("At"),
    "act": N_("Act"),
    "bidder_code": N_("Bidder code"),
    "subject": N_("Subject"),
    "price": N_("Price"),
    "amount": N_("Amount"),
    "accepted": N_("Accepted"),
    "reason": N_("Reason"),
    "rule": N_("Rule"),
    "automatic": N_("Automatic"),
    "paid": N_("Paid"),
    "payment_due": N_("Payment due"),
    "details": N_("Details"),
    "official": N_("Official"),
    "office": N_("Office"),
    "registered_at": N_("Registered at"),
    "deposit_total": N_("Deposit"),
    "admitted": N_("Admitted"),
    "admission_rule": N_("Admission rule"),
    "status": N_("Status"),
    "due": N_("Due"),
    "overdue": N_("Overdue"),
    "refunded_at": N_("Refunded at"),
    "time_left": N_("Time left"),
    "deadline": N_("Deadline"),
    "suspended_at": N_("Suspended at"),
    "previous": N_("Previous deadline"),
    "basis": N_("Legal basis"),
    "started_at": N_("Started"),
    "ended_at": N_("Ended"),
    "description": N_("Description"),
    "code": N_("Code"),
    "message": N_("Message"),
    "reading": N_("Reading"),
    "fields": N_("Fields"),
    "changes": N_("Changes"),
    "acts": N_("Acts"),
}
MONEY_COLUMNS = frozenset({"price", "amount", "paid", "deposit_total"})
TIME_COLUMNS = frozenset(
    {"at", "registered_at", "due", "refunded_at", "deadline", "suspended_at", "previous", "started_at", "ended_at"}
)


@dataclass(frozen=True)
class _Page:
    """One auction's page being printed: the labels and the auction's currency and zone."""

    labels: Labels
    currency: str | None = None
    zone: str | None = None

    @property
    def plain(self) -> bool:
        return isinstance(self.labels, _Plain)

    def _(self, msgid: str, **params: Any) -> str:
        return self.labels.gettext(msgid, **params)

    def heading(self, column: str) -> str:
        return column if self.plain else self.labels.gettext(COLUMN_LABELS.get(column, column))

    def value(self, column: str, value: Any) -> str:
        if self.plain or value is None:
            return _cell(value)
        if isinstance(value, bool):
            return self._("yes") if value else self._("no")
        if column in MONEY_COLUMNS:
            return self.labels.money(value, self.currency)
        if column in TIME_COLUMNS:
            return self.labels.instant(value, self.zone)
        return _cell(value)


_PLAIN = _Page(_Plain())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# The headings and captions printed from inside f-strings, marked here for the catalogue's extraction
# (Python 3.11's tokenizer gives an f-string as one token, so the extractor cannot see into it).
_PRINTED = (
    N_("Sale after bidding"),
    N_("Course of the sale"),
    N_("Deposit ledger"),
    N_("Refunds due"),
    N_("Suspensions"),
    N_("Suspensions and resumptions"),
    N_("Officials who acted"),
    N_("Amendments of the details"),
    N_("Summary"),
    N_("Warnings about the schedule"),
    N_("Warnings"),
    N_("Bidders"),
    N_("Bids received"),
    N_("Extensions"),
    N_("Technical incidents"),
    N_("Deposits to refund"),
    N_("Rules applied"),
    N_("Rebuilt from a verified event log."),
)


def _table(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    caption: str | None = None,
    anonymised: bool = False,
    page: _Page = _PLAIN,
) -> str:
    """A table with a header row (and a caption naming it); a bidder's copy has no subject column."""
    if not rows:
        return f"<p>{html.escape(page._('None.'))}</p>"
    if anonymised:
        columns = [c for c in columns if c != "subject"]
    head = "".join(f'<th scope="col">{html.escape(page.heading(c))}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(page.value(c, row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(pairs: list[tuple[str, Any]], caption: str | None = None) -> str:
    rows = "".join(f'<tr><th scope="row">{html.escape(k)}</th><td>{html.escape(_cell(v))}</td></tr>' for k, v in pairs)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}{rows}</table>"


def _left(seconds: Any) -> str | None:
    """A duration in seconds as hours:minutes:seconds."""
    if not isinstance(seconds, int | float):
        return None
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


# What a line of the sale's course says besides its act, bidder, amounts and official.
_DETAILS = (
    ("reference", N_("reference")),
    ("decided_on", N_("decided on")),
    ("until", N_("until")),
    ("previous", N_("previous deadline")),
    ("reason", N_("reason")),
    ("auction", N_("auction")),
    ("round", N_("round")),
    ("opens_at", N_("opens")),
    ("closes_at", N_("closes")),
    ("starting_price", N_("starting price")),
    ("outcome", N_("outcome")),
)


def _details(line: dict[str, Any], page: _Page = _PLAIN) -> str:
    return "; ".join(f"{page._(label)} {_cell(line[key])}" for key, label in _DETAILS if line.get(key) is not None)


def _who(entry: dict[str, Any] | None) -> str | None:
    if not entry:
        return None
    return entry.get("subject") or entry.get("bidder_code")


BIDDER_COLUMNS = ("bidder_code", "subject", "registered_at", "deposit_total", "admitted", "admission_rule")
COURSE_COLUMNS = (
    "position",
    "at",
    "act",
    "bidder_code",
    "subject",
    "price",
    "amount",
    "paid",
    "payment_due",
    "details",
    "rule",
    "official",
    "office",
)
LEDGER_COLUMNS = ("bidder_code", "subject", "amount", "status", "due", "overdue", "refunded_at", "rule")
REFUND_COLUMNS = ("bidder_code", "subject", "amount", "due", "rule")
INCIDENT_COLUMNS = ("started_at", "ended_at", "description", "at")
SUSPENSION_COLUMNS = ("position", "at", "act", "reason", "time_left", "deadline", "suspended_at", "official", "office")


def _after_bidding(r: dict[str, Any], page: _Page = _PLAIN) -> str:
    """The sale after bidding: its summary, its course, the deposits, suspensions and officials."""
    _ = page._
    anonymised = bool(r.get("anonymised"))
    next_round = r.get("next_round") or {}
    purchaser = r.get("purchaser") or {}
    cancelled = r.get("cancelled") or {}
    transfer = r.get("transfer") or {}
    suspension = r.get("suspension") or {}
    money = (lambda v: v) if page.plain else (lambda v: page.value("amount", v))
    when = (lambda v: v) if page.plain else (lambda v: page.value("at", v))
    summary = _summary(
        [
            (_("Sale"), r.get("sale")),
            (_("Purchaser"), _who(purchaser)),
            (_("Purchase price"), money(purchaser.get("price"))),
            (_("Payment due"), when(r.get("payment_due"))),
            (_("Payment overdue"), page.value("overdue", r.get("payment_overdue"))),
            (_("Paid"), money(r.get("paid"))),
            (_("Still due"), money(r.get("price_due"))),
            (_("Transfer decision"), " ".join(filter(None, [transfer.get("reference"), transfer.get("decided_on")]))),
            (
                _("Suspended"),
                _("since {since}: {reason}", since=when(suspension["since"]), reason=suspension["reason"])
                if suspension
                else None,
            ),
            (_("Cancelled"), f"{when(cancelled['at'])}: {cancelled['reason']}" if cancelled else None),
            (_("Previous round"), r.get("previous")),
            (
                _("Next round"),
                _(
                    "auction {auction}, round {round}, {opens} to {closes}, starting price {price}",
                    auction=next_round["auction"],
                    round=next_round["round"],
                    opens=when(next_round["opens_at"]),
                    closes=when(next_round["closes_at"]),
                    price=money(next_round["starting_price"]),
                )
                if next_round
                else None,
            ),
            (_("Outcome"), r.get("outcome")),
            (_("Report instant"), when(r.get("as_of"))),
        ],
        _("The sale after bidding"),
    )
    course = [{**line, "details": _details(line, page)} for line in r.get("sale_course", [])]
    suspensions = [{**line, "time_left": _left(line.get("left_seconds"))} for line in r.get("suspensions", [])]
    officials = [
        {
            "official": o["official"],
            "office": o["office"],
            "acts": ", ".join(f"{a['act']} ({when(a['at'])})" for a in o["acts"]),
        }
        for o in r.get("officials", [])
    ]
    instant = when(r.get("as_of")) or _("the report's instant")
    overdue_heading = _("Refunds overdue at {instant}", instant=instant)
    return (
        f"<h3>{html.escape(_('Sale after bidding'))}</h3>{summary}"
        f"<h3>{html.escape(_('Course of the sale'))}</h3>"
        f"{_table(course, COURSE_COLUMNS, _('Course of the sale'), anonymised, page)}"
        f"<h3>{html.escape(_('Deposit ledger'))}</h3>"
        f"{_table(r.get('ledger', []), LEDGER_COLUMNS, _('Deposit ledger'), anonymised, page)}"
        f"<h3>{html.escape(_('Refunds due'))}</h3>"
        f"{_table(r.get('refunds_due', []), REFUND_COLUMNS, _('Refunds due'), anonymised, page)}"
        f"<h3>{html.escape(overdue_heading)}</h3>"
        f"{_table(r.get('refunds_overdue', []), REFUND_COLUMNS, overdue_heading, anonymised, page)}"
        f"<h3>{html.escape(_('Suspensions'))}</h3>"
        f"{_table(suspensions, SUSPENSION_COLUMNS, _('Suspensions and resumptions'), page=page)}"
        f"<h3>{html.escape(_('Officials who acted'))}</h3>"
        f"{_table(officials, ('official', 'office', 'acts'), _('Officials who acted'), page=page)}"
    )


def _text(value: Any) -> str | None:
    """A detail's value in words: an object as ``key value; ...``, a list one item after another."""
    if value is None:
        return None
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_text(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return " | ".join(_text(item) or "" for item in value)
    return _cell(value)


DETAIL_LABELS = (
    ("description", N_("Description")),
    ("case_reference", N_("Case reference")),
    ("court", N_("Court or office")),
    ("location", N_("Location")),
    ("asset_details", N_("Facts")),
    ("viewing", N_("Viewing")),
    ("conditions", N_("Conditions taken over")),
    ("contact", N_("Contact")),
)


def _lot_details(r: dict[str, Any], page: _Page = _PLAIN) -> str:
    """What is for sale, as it stands, and every amendment of it."""
    _ = page._
    details = r.get("details") or {}
    summary = _summary([(_(label), _text(details.get(key))) for key, label in DETAIL_LABELS], _("Lot details"))
    amendments = [
        {
            **line,
            "fields": ", ".join(line.get("fields", [])),
            "changes": "; ".join(
                f"{c['field']}: {_text(c['old']) or '–'} → {_text(c['new']) or '–'}" for c in line.get("changes", [])
            ),
        }
        for line in r.get("amendments", [])
    ]
    columns = ("position", "at", "fields", "changes", "reason", "official", "office")
    return (
        f"<h3>{html.escape(_('Lot details'))}</h3>{summary}"
        f"<h3>{html.escape(_('Amendments of the details'))}</h3>"
        f"{_table(amendments, columns, _('Amendments of the details'), page=page)}"
    )


def _auction_section(r: dict[str, Any], page: _Page) -> str:
    _ = page._
    terms = r["terms"]
    winner = r.get("winner") or {}
    plain = page.plain
    money = (lambda v: v) if plain else (lambda v: page.value("amount", v))
    when = (lambda v: v) if plain else (lambda v: page.value("at", v))
    summary = [
        (_("Country"), r["country"]),
        (_("Time zone"), r["time_zone"]),
        (_("Title"), terms["title"]),
        (_("Asset"), terms["asset"]),
        (_("Value"), f"{terms['value']} {terms['currency']}" if plain else money(terms["value"])),
        (_("Starting price"), money(terms["starting_price"])),
        (_("Increment"), money(terms["increment"])),
        (_("Deposit required"), money(terms["deposit_required"])),
        (_("Opens"), when(terms["opens_at"])),
        (_("Scheduled close"), when(terms["closes_at"])),
        (_("Status"), r["status"]),
        (_("Bidding ended"), when(r["closed_at"])),
        (_("Winner"), winner.get("subject") or winner.get("bidder_code")),
        (_("Price"), money(r["price"])),
        (_("Last event"), _("position {position}, hash {hash}", position=r["position"], hash=r["last_hash"])),
    ]
    anonymised = bool(r.get("anonymised"))
    refunds = r["deposits_to_refund"]
    title = _("Auction {auction}", auction=r["auction"])
    return (
        f"<section><h2>{html.escape(title)}</h2>{_summary(summary, _('Summary'))}"
        + _lot_details(r, page)
        + files_html(r)
        + f"<h3>{html.escape(_('Warnings about the schedule'))}</h3>"
        f"{_table(r['warnings'], ('code', 'message', 'rule'), _('Warnings'), page=page)}"
        f"<h3>{html.escape(_('Bidders'))}</h3>{_table(r['bidders'], BIDDER_COLUMNS, _('Bidders'), anonymised, page)}"
        f"<h3>{html.escape(_('Bids received'))}</h3>"
        f"{_table(r['bids'], BID_COLUMNS[1:], _('Bids received'), anonymised, page)}"
        f"<h3>{html.escape(_('Extensions'))}</h3>"
        f"{_table(r['extensions'], ('at', 'previous', 'deadline', 'rule', 'basis'), _('Extensions'), page=page)}"
        f"<h3>{html.escape(_('Technical incidents'))}</h3>"
        f"{_table(r['incidents'], INCIDENT_COLUMNS, _('Technical incidents'), page=page)}"
        + _after_bidding(r, page)
        + f"<h3>{html.escape(_('Deposits to refund'))}</h3>"
        f"{_table(refunds, ('bidder_code', 'subject', 'amount'), _('Deposits to refund'), anonymised, page)}"
        f"<h3>{html.escape(_('Rules applied'))}</h3>"
        f"{_table(r['rules'], ('code', 'basis', 'reading'), _('Rules applied'), page=page)}</section>"
    )


def render_html(reports: list[dict[str, Any]], labels: Labels | None = None) -> bytes:
    """The reports as one HTML page; with ``labels``, in their language (see the module's docstring)."""
    chosen: Labels = labels if labels is not None else _Plain()
    sections = [
        _auction_section(r, _Page(chosen, r["terms"].get("currency"), r.get("time_zone"))) for r in reports
    ]
    _ = chosen.gettext
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;margin:.5rem 0}"
        "th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}"
        "caption{text-align:left;font-weight:600;padding:.25rem 0}"
    )
    title = html.escape(_("Auction report"))
    page = (
        f'<!doctype html><html lang="{html.escape(chosen.language)}"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{style}</style></head><body><h1>{title}</h1>"
        f"<p>{html.escape(_('Rebuilt from a verified event log.'))}</p>" + "".join(sections) + "</body></html>\n"
    )
    return page.encode("utf-8")


RENDERERS = {"json": render_json, "csv": render_csv, "html": render_html}
