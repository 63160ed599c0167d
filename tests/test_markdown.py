"""Answers as HTML: nothing in them is fetched by itself, nothing needs inline style."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.chat.markdown import ALIGN_CLASSES, render_markdown


class Elements(HTMLParser):
    """Every start tag of some HTML, with its attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(markdown: str) -> list[tuple[str, dict[str, str | None]]]:
    return Elements(render_markdown(markdown)).found


def assert_fetches_nothing(markdown: str) -> None:
    """No element that loads a URL by itself, no inline style or handler."""
    html = render_markdown(markdown)
    assert "<img" not in html  # a literal "<" in text is escaped, so this is a tag
    for tag, attrs in Elements(html).found:
        assert tag not in {"img", "picture", "source", "video", "audio", "iframe", "object"}
        assert not {"src", "srcset", "style", "background"} & attrs.keys(), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


@pytest.mark.parametrize(
    ("markdown", "link"),
    [
        ("![p](http://127.0.0.1:9101/x?d=SECRET)", ("http://127.0.0.1:9101/x?d=SECRET", "p")),
        ('![a *chart*](https://x.example/c.png "Title")', ("https://x.example/c.png", "a chart")),
        ("![](https://x.example/c.png)", ("https://x.example/c.png", "https://x.example/c.png")),
        ("![ref][r]\n\n[r]: https://x.example/r.png", ("https://x.example/r.png", "ref")),
        ("![r]\n\n[r]: https://x.example/r.png", ("https://x.example/r.png", "r")),
    ],
)
def test_an_image_becomes_a_link_to_it(markdown, link):
    assert_fetches_nothing(markdown)
    href, text = link
    assert elements(markdown) == [
        ("p", {}),
        ("a", {"href": href, "rel": "noopener noreferrer nofollow"}),
    ]
    html = render_markdown(markdown).replace("&amp;", "&")
    assert f">{text}</a>" in html
    assert html.count(href) == 2  # in the link and shown as text (its name or after it)


def test_an_image_inside_a_link_is_its_alt_text():
    html = render_markdown("[![badge](http://x.example/i.png)](http://y.example)")
    assert html == (
        '<p><a href="http://y.example" rel="noopener noreferrer nofollow">badge</a></p>\n'
    )


@pytest.mark.parametrize(
    "markdown",
    [
        "<img src=x onerror=alert(1)>",
        '<p><img src="http://x.example/i.png"></p>',
        "<picture><source srcset=http://x.example/i.png></picture>",
        '<div style="background:url(http://x.example/i.png)">x</div>',
        "![x](javascript:alert(1)) ![y](data:image/png;base64,iVBORw0KGgo=)",
        "<http://x.example/i.png> [t](http://x.example/i.png)",
        "[![a](http://x/i.png)](http://y)",
    ],
)
def test_raw_html_links_and_odd_sources_fetch_nothing(markdown):
    assert_fetches_nothing(markdown)


def test_autolinks_stay_links():
    assert elements("<http://x.example/i.png>")[1] == (
        "a",
        {"href": "http://x.example/i.png", "rel": "noopener noreferrer nofollow"},
    )


def test_table_alignment_is_a_class_not_a_style():
    table = "| l | c | r | n |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |"
    cells = [(tag, attrs) for tag, attrs in elements(table) if tag in {"th", "td"}]
    classes = [attrs.get("class") for _, attrs in cells]
    assert classes == ["align-left", "align-center", "align-right", None] * 2
    assert " style=" not in render_markdown(table)


def test_the_css_styles_each_alignment_class():
    css = (Path(__file__).parent.parent / "static/css/workbench.css").read_text()
    for name in ALIGN_CLASSES:
        assert f".{name} {{ text-align: {name.removeprefix('align-')}; }}" in css


FRAGMENTS = st.sampled_from(
    [
        "![alt](http://x.example/i.png)",
        "![r]",
        "\n\n[r]: http://x.example/r.png\n",
        "![",
        "![alt](",
        "](",
        ")",
        "[",
        "]",
        "[r]: ",
        "http://x.example/i.png",
        "<img src=x onerror=alert(1)>",
        "<",
        ">",
        '"',
        "style=",
        " src=",
        "*",
        "`",
        "\n",
        "\n\n",
        "|",
        "|:-:|",
        "| --: |",
        "|:--|\n",
        "> ",
        "- ",
        "    ",
        "<http://x.example>",
        "javascript:",
        "data:image/png;base64,AAAA",
    ]
)
MARKDOWN = st.lists(FRAGMENTS | st.text(max_size=8), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(MARKDOWN)
def test_no_markdown_makes_an_element_that_fetches_or_styles(markdown):
    """Checked on the parsed HTML: " src=" or "style=" may well be text of an answer."""
    assert_fetches_nothing(markdown)
