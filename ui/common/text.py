"""Text that came from outside (a link, a file name, a typed name) shown as itself: never as Markdown or HTML.

Streamlit renders Markdown in st.warning, st.info, st.caption and widget labels, so a link's
``?model=[log in](http://elsewhere)`` would become a link to another host inside the app's own message, and
``![x](http://host/x.png)`` an image the browser fetches. plain() escapes every character Markdown gives a meaning
to, and HTML's angle brackets and ampersands, so the text reads the same and renders nothing.
"""
from __future__ import annotations

import re

# CommonMark's escapable punctuation that starts or ends something: emphasis, code, links and images, headings,
# lists, tables, strikethrough, quotes, LaTeX ($, which Streamlit renders), and the "/" of an autolink's "http://"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$/=])")


def plain(text: str) -> str:
    """text escaped for Streamlit's Markdown: shown character for character, nothing rendered or fetched."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN.sub(r"\\\1", escaped)
