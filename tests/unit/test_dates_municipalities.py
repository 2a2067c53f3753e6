import datetime as dt

import pytest

from parsers.dates import find_dates, first_date
from parsers.municipalities import all_municipalities, by_cvr, by_domain, cvr_is_valid, find_in_text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mødet blev holdt 4. oktober 2019.", dt.date(2019, 10, 4)),
        ("Ja, d. 30 september 2019", dt.date(2019, 9, 30)),
        ("behandlet den 30.09.2019", dt.date(2019, 9, 30)),
        ("Beslutning i udvalget den 30-09-2019", dt.date(2019, 9, 30)),
        ("holdt 30/9-2019 på rådhuset", dt.date(2019, 9, 30)),
        ("dato 2025-03-18", dt.date(2025, 3, 18)),
        ("d. 4. okt. 2019", dt.date(2019, 10, 4)),
    ],
)
def test_danish_dates_as_people_write_them(text, expected):
    assert first_date(text) == expected


def test_no_date_is_invented_from_a_phone_number_or_a_clock():
    assert find_dates("Tlf. 58 57 36 00, mødet holdes snart") == []
    assert first_date("Ja, i oktober") is None


def test_all_98_municipalities_have_a_valid_cvr():
    rows = all_municipalities()
    assert len(rows) == 98
    assert all(cvr_is_valid(m.cvr) for m in rows)


def test_cvr_modulus_11():
    assert cvr_is_valid("29188505")
    assert cvr_is_valid("2918 8505")
    assert not cvr_is_valid("29188506")
    assert not cvr_is_valid("1234567")


def test_municipality_by_cvr_domain_and_name():
    assert by_cvr("29188505").name == "Slagelse Kommune"
    assert by_domain("x@ballerup.dk").name == "Ballerup Kommune"
    assert by_domain("x@sub.kk.dk").name == "Københavns Kommune"
    assert by_domain("x@gmail.com") is None
    assert find_in_text("Ansøger: Lyngby-Taarbæk Kommune")[0].code == "173"
    assert find_in_text("Københavns Kommune, Socialforvaltningen")[0].code == "101"


def _shapes():
    """Dates in the shapes the fast path reads itself, with days and months out of range too."""
    import itertools

    numeric = ["{d}.{m}.{y}", "{d}. {m}. {y}", "{d}/{m} {y}", "{d}/{m}-{y}", "{d}-{m}-{y}", "{d}/ {m} {y}", "{d}.{m}. {y}"]
    for shape, d, m, y in itertools.product(numeric, (0, 1, 9, 10, 28, 29, 30, 31, 32), (0, 1, 2, 9, 12, 13), (2019, 2024, 1899)):
        yield shape.format(d=d, m=m, y=y)
        yield shape.format(d=f"{d:02d}", m=f"{m:02d}", y=y)
    for name, d in itertools.product(("jan", "jan.", "januar", "feb", "februar", "mar", "marts", "sep", "sept", "sept.", "september",
                                      "okt.", "oktober", "dec", "december", "Maj", "JUNI"), (0, 1, 29, 30, 31, 32)):
        yield f"{d}. {name} 2025"
        yield f"{d} {name} 2024"


def test_the_fast_date_path_reads_every_shape_as_dateparser_does():
    """parsers/dates.py reads the common shapes itself (dateparser costs milliseconds a call): it must
    give dateparser's answer, date or None, on each of them."""
    from parsers.dates import _dateparser, parse_date

    differ = [(text, parse_date(text), _dateparser(text)) for text in _shapes() if parse_date(text) != _dateparser(text)]
    assert differ == []
