"""Answers as HTML: nothing in them is fetched by itself, nothing needs inline style."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.chat.markdown import ALIGN_CLASSES, render_answer, render_markdown


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
    """No element that loads a URL by itself, no inline style or handler, and no
    control but a code block's Copy code button."""
    html = render_markdown(markdown)
    assert "<img" not in html  # a literal "<" in text is escaped, so this is a tag
    for tag, attrs in Elements(html).found:
        assert tag not in {"img", "picture", "source", "video", "audio", "iframe", "object"}
        assert tag not in {"h1", "h2", "form", "input", "textarea", "select"}
        assert not {"src", "srcset", "style", "background"} & attrs.keys(), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "button":
            assert attrs == {"type": "button", "class": "copy-code"}


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


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("See https://example.org/a/b?c=1.", "https://example.org/a/b?c=1"),
        ("(http://x.example/p)", "http://x.example/p"),
        ("write to someone@example.org", "mailto:someone@example.org"),
    ],
)
def test_bare_urls_become_links_that_are_not_followed_for_the_site(markdown, href):
    assert elements(markdown)[1] == ("a", {"href": href, "rel": "noopener noreferrer nofollow"})


@pytest.mark.parametrize(
    "markdown",
    [
        "main.py and www.example.org",  # no scheme, no link: a file name is not a site
        "//x.example/path",
        "ftp://x.example/file",
        "javascript:alert(1)",
        "`https://x.example` in code",
        "```\nhttps://x.example\n```",
    ],
)
def test_only_urls_with_a_web_scheme_become_links(markdown):
    assert "a" not in [tag for tag, _ in elements(markdown)]


def test_headings_continue_the_page_outline():
    """The page's Conversation heading is an h2: answers start at h3 and never skip."""
    markdown = "# Title\n\n### Deeper\n\n## Section\n\n###### Tiny\n\n# Again"
    levels = [tag for tag, _ in elements(markdown)]
    assert levels == ["h3", "h4", "h4", "h5", "h3"]
    assert [tag for tag, _ in elements("#### Starts deep")] == ["h3"]


def test_a_code_block_names_its_language_is_highlighted_and_has_copy_code():
    html = render_markdown("```py\nprint('<hi>')  # say\n```")
    assert html == (
        '<div class="code-block"><div class="code-bar"><span class="code-lang">Python</span>'
        '<button type="button" class="copy-code">Copy code</button></div>'
        '<pre class="highlight"><code><span class="nb">print</span><span class="p">(</span>'
        '<span class="s1">\'&lt;hi&gt;\'</span><span class="p">)</span>  '
        '<span class="c1"># say</span>\n</code></pre></div>\n'
    )


@pytest.mark.parametrize(
    ("markdown", "label"),
    [("```\nx\n```", "Text"), ("    x = 1", "Text"), ("```no-such<lang>\nx\n```", "no-such<lang>")],
)
def test_a_block_in_no_known_language_is_plain_escaped_text(markdown, label):
    found = elements(markdown)
    assert [tag for tag, _ in found] == ["div", "div", "span", "button", "pre", "code"]
    assert not [attrs for tag, attrs in found if tag == "span" and attrs != {"class": "code-lang"}]
    assert f'<span class="code-lang">{label.replace("<", "&lt;").replace(">", "&gt;")}<' in (
        render_markdown(markdown)
    )


def test_a_long_answer_is_plain_text_without_code_blocks():
    html = render_answer("```python\nx = 1\n```\n" + "y" * 70_000)
    assert html.startswith('<p class="plain">```python') and "button" not in html


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
        "```",
        "```py\n",
        "~~~ <button onclick=x>\n",
        "# ",
        "https://x.example/a?b=<c>",
        "<button>",
    ]
)
MARKDOWN = st.lists(FRAGMENTS | st.text(max_size=8), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(MARKDOWN)
def test_no_markdown_makes_an_element_that_fetches_or_styles(markdown):
    """Checked on the parsed HTML: " src=" or "style=" may well be text of an answer."""
    assert_fetches_nothing(markdown)
