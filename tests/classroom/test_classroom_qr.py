"""The join link's QR code."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pipeline.classroom import InvalidValue, qr_svg


def test_qr_svg_is_one_svg_element_with_a_drawn_path():
    svg = qr_svg("https://class.example/join?code=K7QX2M")
    root = ET.fromstring(svg)
    assert root.tag.rsplit("}", 1)[-1] == "svg" and not svg.startswith("<?xml")
    assert int(float(root.get("width"))) == int(float(root.get("height"))) > 100
    assert root.find(".//{*}path") is not None or root.find(".//path") is not None


def test_qr_svg_depends_on_the_link_and_the_scale():
    link = "https://class.example/join?code=K7QX2M"
    assert qr_svg(link) == qr_svg(link)
    assert qr_svg(link) != qr_svg(link.replace("K7QX2M", "K7QX2N"))
    small, big = ET.fromstring(qr_svg(link, scale=2)), ET.fromstring(qr_svg(link, scale=4))
    assert float(big.get("width")) == 2 * float(small.get("width"))


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "ftp://x", "https://x/" + "a" * 2000, None])
def test_qr_svg_refuses_what_is_not_a_web_link(url):
    with pytest.raises(InvalidValue, match="join link must be an http\\(s\\) URL"):
        qr_svg(url)
