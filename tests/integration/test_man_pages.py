"""Each program's man page documents every option the program's own usage message names, and
the program refuses a bad command line with exit 7 as its EXIT STATUS says."""
import re

import pytest

from conftest import REPO, tool

DOCS = REPO / "docs"
TOOLS = ["swiscsi-ls", "swiscsi-inq", "swiscsi-readcap", "swiscsi-cp", "swiscsi-bench"]


def options_section(page):
    text = page.read_text()
    start = text.index("\n.SH OPTIONS\n")
    return text[start:text.index("\n.SH ", start + 1)]


@pytest.mark.parametrize("name", TOOLS)
def test_page_documents_every_option_of_the_usage(name):
    r = tool(name)  # no URL: the usage message
    assert r.rc == 7, r
    assert r.err.startswith(f"usage: {name} "), r
    options = set(re.findall(r"(?<![\w-])(--?[a-z]+)", r.err.split("\n")[0]))
    assert options, r.err
    documented = options_section(DOCS / f"{name}.1").replace("\\-", "-")
    for opt in options:
        assert re.search(rf"^\.BI? {re.escape(opt)}\b", documented, re.M), (name, opt)
