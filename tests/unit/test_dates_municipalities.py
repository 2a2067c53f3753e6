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
