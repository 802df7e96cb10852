"""Reading how a list is written: encoding, delimiter, headers and kinds in French and
English, physical lines of records that span lines or follow blank lines."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licite.errors import InvalidInput
from licite.scrub.headers import KIND_VALUES, default_kind, folded, match_columns, parse_maps
from licite.scrub.list_format import inspect, rewrite, sniff_delimiter


def _write(tmp: Path, text: str, encoding: str, name: str = "list.csv") -> Path:
    path = tmp / name
    path.write_bytes(text.encode(encoding))
    return path


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_windows_1252_is_recognised_and_read_back(tmp_path: Path) -> None:
    text = "Nom;E-mail;Téléphone\r\nBéatrice Lœuf;b@exemple.fr;06 12 34 56 78\r\n"
    found = inspect(_write(tmp_path, text, "cp1252"))
    assert found.encoding == "cp1252" and found.delimiter == ";"
    assert not found.regular
    out = rewrite(found, tmp_path / "out.csv")
    assert out.header == ["Nom", "E-mail", "Téléphone"]
    rows = _read(tmp_path / "out.csv")
    assert rows[1][:3] == ["2", "Béatrice Lœuf;b@exemple.fr;06 12 34 56 78", "Béatrice Lœuf"]


def test_utf8_with_bom_and_tabs(tmp_path: Path) -> None:
    found = inspect(_write(tmp_path, "\ufeffid\temail\n1\ta@b.fr\n", "utf-8"))
    assert found.encoding == "utf-8-sig" and found.bom and found.delimiter == "\t"
    assert found.regular


def test_a_binary_file_is_refused_before_any_work(tmp_path: Path) -> None:
    workbook = tmp_path / "liste.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(200))
    with pytest.raises(InvalidInput) as caught:
        inspect(workbook)
    assert "not a text (CSV) file" in caught.value.text.en
    assert "n'est pas un fichier texte" in caught.value.text.fr


def test_records_keep_their_physical_line_through_blank_lines_and_quoted_newlines(
    tmp_path: Path,
) -> None:
    text = (
        "id;email;note\r\n"  # line 1
        '1;a@b.fr;"deux\r\nlignes"\r\n'  # lines 2-3
        "\r\n"  # line 4: blank
        "2;c@d.fr;simple\r\n"  # line 5
        "3;trop;de;champs\r\n"  # line 6: five fields
    )
    found = inspect(_write(tmp_path, text, "utf-8"))
    assert found.blank_lines and not found.regular
    out = rewrite(found, tmp_path / "out.csv")
    rows = _read(tmp_path / "out.csv")
    assert [(r[0], r[3]) for r in rows[1:]] == [("2", "a@b.fr"), ("5", "c@d.fr")]
    assert rows[1][4] == "deux\r\nlignes"
    assert out.set_aside == [(6, "3;trop;de;champs", 4)]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.text(alphabet="ab é;,\"\n€'", max_size=6), min_size=3, max_size=3),
        max_size=8,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    blanks=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_rewrite_gives_back_every_record_and_its_line(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    delimiter: str,
    encoding: str,
    blanks: list[bool],
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["id", "email", "phone"])
    expected = []
    line = 2
    for row, blank in zip(rows, blanks, strict=False):
        if blank:
            buffer.write("\r\n")
            line += 1
        start = buffer.tell()
        writer.writerow(row)
        expected.append((line, row))
        line += buffer.getvalue()[start:].count("\n")
    found = inspect(_write(tmp, buffer.getvalue(), encoding), delimiter=delimiter)
    out = rewrite(found, tmp / "out.csv")
    got = _read(tmp / "out.csv")[1:]
    assert [(int(r[0]), r[2:]) for r in got] == expected
    assert not out.set_aside


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ('"x;y",b,c', ","), ("single", ",")],
)
def test_delimiter_is_the_one_outside_quotes(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header) == delimiter


def test_french_and_english_headers_match_their_fields() -> None:
    names = ["Identifiant", "Type", "E-mail", "Téléphone", "Code postal", "Segment"]
    columns = match_columns(names, {}, "l.csv")
    assert columns.fields == {
        "id": "Identifiant",
        "kind": "Type",
        "email": "E-mail",
        "phone": "Téléphone",
        "postal_code": "Code postal",
    }
    assert columns.extras == ("Segment",)
    only_phone = match_columns(["Portable"], {}, "l.csv")
    assert only_phone.fields["phone"] == "Portable" and only_phone.fields["email"] is None


def test_map_names_the_rest_and_a_clash_is_refused() -> None:
    columns = match_columns(["Mobile perso", "Fixe"], parse_maps(["Mobile perso=phone"]), "l")
    assert columns.fields["phone"] == "Mobile perso" and columns.extras == ("Fixe",)
    with pytest.raises(InvalidInput) as clash:
        match_columns(["Mobile", "Portable"], {}, "l.csv")
    assert "'Mobile' and 'Portable' both read as phone" in clash.value.text.en
    with pytest.raises(InvalidInput) as absent:
        match_columns(["email"], parse_maps(["Courriel pro=email"]), "l.csv")
    assert "'Courriel pro' is not in l.csv" in absent.value.text.en
    with pytest.raises(InvalidInput):
        parse_maps(["E-mail=address"])
    with pytest.raises(InvalidInput) as none:
        match_columns(["Nom", "Prénom"], {}, "l.csv")
    assert "no address column" in none.value.text.en


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("particulier", "consumer"),
        ("Professionnel", "professional"),
        ("adresse générique", "generic_business_address"),
        ("B2B", "professional"),
        ("consumer", "consumer"),
    ],
)
def test_kinds_in_either_language(value: str, kind: str) -> None:
    assert KIND_VALUES[folded(value)] == kind
    assert default_kind(value) == kind


def test_unknown_default_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        default_kind("martien")
    assert "--kind: unknown value 'martien'" in caught.value.text.en


def test_a_stray_nul_in_a_field_is_a_defect_of_a_row_not_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"id,email\n1,a\x00b@example.fr\n2,c@example.fr\n")
    assert inspect(path).delimiter == ","
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("id,email\n1,a@example.fr\n".encode("utf-16"))
    with pytest.raises(InvalidInput):
        inspect(utf16)
