"""Syntax highlighting with Pygments, server-side, so the page needs no JS for it."""

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

_FORMATTER = HtmlFormatter(nowrap=True)


def highlight(code: str, language: str) -> SafeString:
    # Pygments escapes the code itself; its output holds only <span> markup.
    return mark_safe(pygments_highlight(code, get_lexer_by_name(language), _FORMATTER))
