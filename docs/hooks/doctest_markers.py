"""mkdocs hook: hide doctest's bookkeeping on the site.

The docs' ``pycon`` blocks are doctests (tests/test_docs.py runs them), so they carry ``<BLANKLINE>`` for an
empty line of output and ``# doctest: +ELLIPSIS`` directives; a reader needs neither.
"""

import re

_DIRECTIVE = re.compile(r"[ \t]*# doctest: [^\n]*")
_BLANKLINE = re.compile(r"^[ \t]*<BLANKLINE>[ \t]*$", re.M)


def on_page_markdown(markdown, page, config, files):
    return _BLANKLINE.sub("", _DIRECTIVE.sub("", markdown))


def on_post_page(output, page, config):
    # docstrings rendered by mkdocstrings arrive as HTML: the same markers, escaped
    output = re.sub(r"[ \t]*# doctest: [^\n<]*", "", output)
    return output.replace("&lt;BLANKLINE&gt;", "")
