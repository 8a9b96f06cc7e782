"""Text from outside the app (a link's values, a file's name, a message quoting either) shown as plain text.

Streamlit renders the body of st.warning, st.error, st.info, st.caption and st.markdown as Markdown: a link value
such as [Your session expired](http://elsewhere/login) would be a clickable link inside the app's own warning box,
and ![x](http://elsewhere/x.png) an image the browser fetches from another host as the page loads. plain() makes any
text render as exactly those characters, with no link, image, HTML, colour, emoji or formula in it.
"""
from __future__ import annotations

import re

# Every ASCII punctuation character: CommonMark lets any of them be backslash-escaped, which makes it a literal
# character. That covers links, images, emphasis, code, HTML tags and entities, and Streamlit's own :colour[...],
# :emoji: and $formula$ syntax.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GitHub-flavoured Markdown also turns bare addresses into links (http://..., www...., a@b.c) after the escapes are
# read, so an escaped address would still be a link: an invisible WORD JOINER (U+2060) inside each such pattern
# keeps it text. (Checked in Chromium: tests/e2e/test_link_values.py.)
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """text as Markdown that Streamlit shows literally, on one line (a newline could start a Markdown block)."""
    one_line = " ".join(str(text).split())
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, one_line))
