"""An amount written out in words, in each of the engine's languages, for the bidder to read before a
binding bid (``GET /i18n/{lang}/words?amount=…&currency=…``).

``num2words`` writes the cardinal numbers of English, Lithuanian, Slovenian, Swedish, Latvian, Czech and
Portuguese; it has none for Bulgarian, Croatian, Estonian or Greek, whose small writers are here. The
whole units are in words, the cents as digits (``…  EUR 50/100``), as a cheque or a court's record
writes them, so that no language's currency grammar is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from num2words import num2words  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.errors import ApiError
from api.i18n import LANGUAGES

LARGEST = 10**12 - 1  # the writers below go to 999 999 999 999
NUM2WORDS = {"en": "en", "lt": "lt", "sl": "sl", "sv": "sv", "lv": "lv", "cs": "cs", "pt": "pt_PT"}


def _triples(n: int) -> list[int]:
    """``n`` in groups of three digits, the units' group first."""
    groups = []
    while True:
        n, group = divmod(n, 1000)
        groups.append(group)
        if n == 0:
            return groups


def _slavic_form(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


# ------------------------------------------------------------------ Croatian

_HR_UNITS = ["", "jedan", "dva", "tri", "četiri", "pet", "šest", "sedam", "osam", "devet"]
_HR_TEENS = ["deset", "jedanaest", "dvanaest", "trinaest", "četrnaest", "petnaest", "šesnaest", "sedamnaest",
             "osamnaest", "devetnaest"]  # fmt: skip
_HR_TENS = ["", "", "dvadeset", "trideset", "četrdeset", "pedeset", "šezdeset", "sedamdeset", "osamdeset", "devedeset"]
_HR_HUNDREDS = ["", "sto", "dvjesto", "tristo", "četiristo", "petsto", "šeststo", "sedamsto", "osamsto", "devetsto"]


def _hr_triple(n: int, feminine: bool) -> list[str]:
    words = [_HR_HUNDREDS[n // 100]] if n >= 100 else []
    rest = n % 100
    if 10 <= rest < 20:
        return [*words, _HR_TEENS[rest - 10]]
    if rest >= 20:
        words.append(_HR_TENS[rest // 10])
    unit = rest % 10
    if unit:
        words.append({1: "jedna", 2: "dvije"}.get(unit, _HR_UNITS[unit]) if feminine else _HR_UNITS[unit])
    return words


def croatian(n: int) -> str:
    if n == 0:
        return "nula"
    # Each scale: feminine or not, and its name alone (1000: "tisuću"), after one, few and many.
    scales = [
        (False, None),
        (True, ("tisuću", "tisuća", "tisuće", "tisuća")),
        (False, ("milijun", "milijun", "milijuna", "milijuna")),
        (True, ("milijarda", "milijarda", "milijarde", "milijardi")),
    ]
    parts: list[str] = []
    for index, group in reversed(list(enumerate(_triples(n)))):
        if group == 0:
            continue
        feminine, names = scales[index]
        if names is None:
            parts += _hr_triple(group, False)
        elif group == 1:
            parts.append(names[0])
        else:
            parts += [*_hr_triple(group, feminine), _slavic_form(group, *names[1:])]
    return " ".join(parts)


# ------------------------------------------------------------------ Bulgarian

_BG_UNITS = ["", "един", "два", "три", "четири", "пет", "шест", "седем", "осем", "девет"]
_BG_TEENS = ["десет", "единадесет", "дванадесет", "тринадесет", "четиринадесет", "петнадесет", "шестнадесет",
             "седемнадесет", "осемнадесет", "деветнадесет"]  # fmt: skip
_BG_TENS = ["", "", "двадесет", "тридесет", "четиридесет", "петдесет", "шестдесет", "седемдесет", "осемдесет",
            "деветдесет"]  # fmt: skip
_BG_HUNDREDS = ["", "сто", "двеста", "триста", "четиристотин", "петстотин", "шестстотин", "седемстотин",
                "осемстотин", "деветстотин"]  # fmt: skip


def _bg_triple(n: int, feminine: bool) -> list[str]:
    words = [_BG_HUNDREDS[n // 100]] if n >= 100 else []
    rest = n % 100
    if 10 <= rest < 20:
        words.append(_BG_TEENS[rest - 10])
    else:
        if rest >= 20:
            words.append(_BG_TENS[rest // 10])
        unit = rest % 10
        if unit:
            words.append({1: "една", 2: "две"}.get(unit, _BG_UNITS[unit]) if feminine else _BG_UNITS[unit])
    if len(words) > 1:
        words.insert(len(words) - 1, "и")  # "двадесет и три", "сто и пет"
    return words


def bulgarian(n: int) -> str:
    if n == 0:
        return "нула"
    groups: list[list[str]] = []
    for index, group in reversed(list(enumerate(_triples(n)))):
        if group == 0:
            continue
        if index == 0:
            groups.append(_bg_triple(group, False))
        elif index == 1:
            groups.append(["хиляда"] if group == 1 else [*_bg_triple(group, True), "хиляди"])
        else:
            one, many = ("милион", "милиона") if index == 2 else ("милиард", "милиарда")
            groups.append(["един", one] if group == 1 else [*_bg_triple(group, False), many])
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-1].insert(0, "и")  # "хиляда и петстотин"
    return " ".join(word for group in groups for word in group)


# ------------------------------------------------------------------ Estonian

_ET_UNITS = ["", "üks", "kaks", "kolm", "neli", "viis", "kuus", "seitse", "kaheksa", "üheksa"]


def _et_triple(n: int) -> list[str]:
    words = []
    if n >= 100:
        words.append("sada" if n // 100 == 1 else f"{_ET_UNITS[n // 100]}sada")
    rest = n % 100
    if rest == 10:
        words.append("kümme")
    elif 10 < rest < 20:
        words.append(f"{_ET_UNITS[rest - 10]}teist")
    else:
        if rest >= 20:
            words.append(f"{_ET_UNITS[rest // 10]}kümmend")
        if rest % 10:
            words.append(_ET_UNITS[rest % 10])
    return words


def estonian(n: int) -> str:
    if n == 0:
        return "null"
    names = [None, ("tuhat", "tuhat"), ("miljon", "miljonit"), ("miljard", "miljardit")]
    parts: list[str] = []
    for index, group in reversed(list(enumerate(_triples(n)))):
        if group == 0:
            continue
        name = names[index]
        if not (index == 1 and group == 1):  # "tuhat", not "üks tuhat"
            parts += _et_triple(group)
        if name is not None:
            parts.append(name[0] if group == 1 else name[1])
    return " ".join(parts)


# ------------------------------------------------------------------ Greek

_EL_UNITS = ["", "ένα", "δύο", "τρία", "τέσσερα", "πέντε", "έξι", "επτά", "οκτώ", "εννέα"]
_EL_FEMININE = {1: "μία", 3: "τρεις", 4: "τέσσερις"}
_EL_TEENS = ["δέκα", "έντεκα", "δώδεκα", "δεκατρία", "δεκατέσσερα", "δεκαπέντε", "δεκαέξι", "δεκαεπτά", "δεκαοκτώ",
             "δεκαεννέα"]  # fmt: skip
_EL_TENS = ["", "", "είκοσι", "τριάντα", "σαράντα", "πενήντα", "εξήντα", "εβδομήντα", "ογδόντα", "ενενήντα"]
_EL_HUNDREDS = ["", "εκατό", "διακόσια", "τριακόσια", "τετρακόσια", "πεντακόσια", "εξακόσια", "επτακόσια",
                "οκτακόσια", "εννιακόσια"]  # fmt: skip


def _el_triple(n: int, feminine: bool) -> list[str]:
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        word = _EL_HUNDREDS[hundreds]
        if hundreds == 1 and rest:
            word = "εκατόν"
        elif feminine and hundreds > 1:
            word = word[:-1] + "ες"  # "διακόσιες χιλιάδες"
        words.append(word)
    if 10 <= rest < 20:
        teen = _EL_TEENS[rest - 10]
        if feminine and rest in (13, 14):
            teen = {13: "δεκατρείς", 14: "δεκατέσσερις"}[rest]
        return [*words, teen]
    if rest >= 20:
        words.append(_EL_TENS[rest // 10])
    unit = rest % 10
    if unit:
        words.append(_EL_FEMININE.get(unit, _EL_UNITS[unit]) if feminine else _EL_UNITS[unit])
    return words


def greek(n: int) -> str:
    if n == 0:
        return "μηδέν"
    parts: list[str] = []
    for index, group in reversed(list(enumerate(_triples(n)))):
        if group == 0:
            continue
        if index == 0:
            parts += _el_triple(group, False)
        elif index == 1:
            parts += ["χίλια"] if group == 1 else [*_el_triple(group, True), "χιλιάδες"]
        else:
            one, many = ("εκατομμύριο", "εκατομμύρια") if index == 2 else ("δισεκατομμύριο", "δισεκατομμύρια")
            parts += ["ένα", one] if group == 1 else [*_el_triple(group, False), many]
    return " ".join(parts)


WRITERS: dict[str, Callable[[int], str]] = {"hr": croatian, "bg": bulgarian, "et": estonian, "el": greek}


def cardinal(n: int, language: str) -> str:
    """``n`` (0 to :data:`LARGEST`) in words in ``language``."""
    if not 0 <= n <= LARGEST:
        raise ValueError(f"{n} is outside 0 to {LARGEST}")
    if language in WRITERS:
        return WRITERS[language](n)
    return str(num2words(n, lang=NUM2WORDS[language]))


def amount_in_words(amount: Decimal, currency: str, language: str) -> str:
    """``81500.50 EUR`` -> ``eighty-one thousand, five hundred EUR 50/100`` (the cents as digits)."""
    whole = int(amount)
    cents = int((amount - whole) * 100)
    words = f"{cardinal(whole, language)} {currency}".strip()
    return f"{words} {cents:02d}/100" if cents else words


async def words(request: Request) -> Response:
    """``GET /i18n/{lang}/words?amount=81500.50&currency=EUR``: ``{"words": …}``."""
    language = request.path_params["language"]
    if language not in LANGUAGES:
        raise ApiError(404, "unknown_language", f"no language {language!r}; languages: {', '.join(LANGUAGES)}")
    text = request.query_params.get("amount", "")
    currency = request.query_params.get("currency", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    if not (amount.is_finite() and 0 <= amount <= LARGEST and amount == amount.quantize(Decimal("0.01"))):
        raise ApiError(422, "invalid_amount", f"amount must be 0 to {LARGEST} with at most two decimals, not {text!r}")
    if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise ApiError(422, "invalid_currency", f"currency must be an ISO 4217 code such as EUR, not {currency!r}")
    return JSONResponse({"words": amount_in_words(amount, currency.upper(), language)})


__all__ = ["LARGEST", "amount_in_words", "cardinal", "words"]
