"""Bodies as real clients send them: every file of every alternative branch, folded and mangled
boundaries, lying charsets, UTF-7, uuencode, an empty text/plain beside real HTML."""

from __future__ import annotations

import base64

import pytest
from realmail import PNG, file_part, head, mail, multipart, text_part, uuencoded

from omnitui.channels.email.mime import decode_bytes, parse_mail

pytestmark = pytest.mark.engine_free  # opens no store

GERMAN = (
    "Die Hasen klagten einst über ihre mißliche Lage; wir leben, sprach ein Redner, in "
    "steter Furcht vor Menschen und Tieren, eine Beute der Hunde, der Adler, ja fast aller "
    "Raubtiere! Unsere stete Angst ist ärger als der Tod selbst. Auf, laßt uns ein für allemal "
    "sterben. In einem nahen Teich wollten sie sich nun ersäufen."
)


def test_files_in_the_html_branch_of_an_alternative_are_kept():
    """Apple Mail: text + (HTML with two pasted screenshots); the text is shown, both kept."""
    raw = mail(multipart(
        "alternative", "ALT",
        text_part("See the two screenshots."),
        multipart("related", "REL", text_part('<p>See <img src="cid:a"><img src="cid:b"></p>',
                                              "html"),
                  file_part("shot1.png", cid="a"), file_part("shot2.png", cid="b")),
    ))
    parsed = parse_mail(raw)
    assert parsed.text == "See the two screenshots." and not parsed.from_html
    assert [a.filename for a in parsed.attachments] == ["shot1.png", "shot2.png"]
    assert all(a.data == PNG for a in parsed.attachments)


def test_related_images_and_attached_files_are_all_kept():
    """text + related(HTML, two images) inside mixed with two more files: all four kept."""
    raw = mail(multipart(
        "mixed", "MIX",
        multipart("alternative", "ALT", text_part("Four files."),
                  multipart("related", "REL", text_part("<p>x</p>", "html"),
                            file_part("a.png", cid="a"), file_part("b.png", cid="b"))),
        file_part("c.pdf", b"%PDF-1.4", "application/pdf", "attachment"),
        file_part("d.png", disposition="attachment"),
    ))
    parsed = parse_mail(raw)
    assert parsed.text == "Four files."
    assert sorted(a.filename for a in parsed.attachments) == ["a.png", "b.png", "c.pdf", "d.png"]


def test_empty_text_plain_does_not_hide_the_html():
    alternative = mail(multipart("alternative", "ALT", text_part("\r\n  \r\n"),
                                 text_part("<p>The real message</p>", "html")))
    mixed = mail(multipart("mixed", "MIX", text_part(""),
                           text_part("<b>Also real</b>", "html")))
    assert parse_mail(alternative).text == "The real message"
    assert parse_mail(alternative).from_html
    assert parse_mail(mixed).text == "Also real"


def test_boundary_parameter_folded_across_lines():
    """Outlook folds inside the quoted boundary; the body uses it without the fold."""
    tree = multipart("mixed", "----=_NextPart_000_0002_01BF", text_part("Three files."),
                     *(file_part(f"f{i}.png", disposition="attachment") for i in range(3)))
    tree = tree.replace('boundary="----=_NextPart_000_0002_01BF"',
                        'boundary="----=_NextPart\r\n _000_0002_01BF"', 1)
    parsed = parse_mail(mail(tree))
    assert parsed.text == "Three files."
    assert [a.filename for a in parsed.attachments] == ["f0.png", "f1.png", "f2.png"]


def test_boundary_that_matches_no_line_is_found_in_the_body():
    tree = multipart("mixed", "USED", text_part("Rescued text."),
                     file_part("x.png", disposition="attachment"))
    tree = tree.replace('boundary="USED"', 'boundary="DECLARED-BUT-NEVER-USED"', 1)
    parsed = parse_mail(mail(tree))
    assert parsed.text == "Rescued text."
    assert [a.filename for a in parsed.attachments] == ["x.png"]


def test_gb2312_label_reads_gbk_characters():
    """朱镕基: 镕 is GBK, not GB2312; mail clients read gb2312 as GB18030."""
    text = "朱镕基总理的讲话，请查收附件。" * 3
    data = base64.b64encode(text.encode("gbk")).decode()
    subject = "=?gb2312?B?" + base64.b64encode("镕基的来信".encode("gbk")).decode() + "?="
    raw = (head(subject=subject) + "Content-Type: text/plain; charset=gb2312\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{data}\r\n").encode()
    parsed = parse_mail(raw)
    assert parsed.subject == "镕基的来信"
    assert parsed.text == text


def test_utf8_labelled_latin1_is_read_as_latin1():
    long = parse_mail((head() + "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: 8bit\r\n\r\n").encode()
                      + GERMAN.encode("latin-1") + b"\r\n")
    assert long.text == GERMAN
    short = decode_bytes("Grüße".encode("latin-1"), "utf-8")
    assert short == "Grüße"


def test_utf8_under_a_stale_label_and_a_few_corrupt_bytes():
    assert decode_bytes("你好，订单".encode(), "gb2312") == "你好，订单"
    data = ("Здравствуйте, " * 40).encode()
    cut = data.index(b", ", 100)
    corrupt = data[:cut] + b"\xd1" + data[cut:]  # a lead byte with no continuation
    text = decode_bytes(corrupt, "utf-8")
    assert text.count("\ufffd") == 1 and "Здравствуйте" in text


def test_undeclared_cyrillic_is_guessed():
    text = "Здравствуйте! Я заказал у вас куртку две недели назад, но посылка так и не пришла. "
    assert decode_bytes((text * 3).encode("cp1251"), None) == text * 3
    assert decode_bytes((text * 3).encode("koi8-r"), "us-ascii") == text * 3


def test_utf7_subject_and_body():
    raw = (head(subject="Die Hasen und die Fr+APY-sche")
           + "Content-Type: text/plain; charset=utf-7\r\n\r\nGr+APw-+AN8-e\r\n").encode()
    parsed = parse_mail(raw)
    assert parsed.subject == "Die Hasen und die Frösche"
    assert parsed.text == "Grüße"
    word = parse_mail(mail(text_part("x"), subject="=?utf-7?Q?Fr+APY-sche?="))
    assert word.subject == "Frösche"


def test_uuencoded_file_in_a_plain_body_becomes_an_attachment():
    data = bytes(range(256)) * 3
    body = "Here is the invoice.\n\n" + uuencoded("invoice.pdf", data) + "\nThanks, Ann\n"
    parsed = parse_mail(mail(text_part(body)))
    assert parsed.text == "Here is the invoice.\n\n\nThanks, Ann"
    [att] = parsed.attachments
    assert (att.filename, att.content_type, att.data) == ("invoice.pdf", "application/pdf", data)


def test_signature_of_signed_mail_is_not_a_file_and_nested_forwards_attach_once():
    signed = mail(multipart(
        "signed", "SIG",
        multipart("mixed", "MIX", text_part("Signed."),
                  file_part("a.png", disposition="attachment")),
        "Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n",
    ))
    assert [a.filename for a in parse_mail(signed).attachments] == ["a.png"]
    inner = head(subject="Inner") + text_part("inner text")
    middle = head(subject="Middle") + multipart(
        "mixed", "M2", text_part("middle text"), "Content-Type: message/rfc822\r\n\r\n" + inner)
    outer = mail(multipart("mixed", "M1", text_part("outer text"),
                           "Content-Type: message/rfc822\r\n\r\n" + middle))
    parsed = parse_mail(outer)
    assert [a.content_type for a in parsed.attachments] == ["message/rfc822"]
    assert "middle text" in parsed.text and "inner text" in parsed.text
