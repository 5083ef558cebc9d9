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


# A command line that would be good but for the one option under test; the URL's port 9 on
# 127.0.0.1 has no target, so a tool that went on would fail another way (no usage message).
def good_args(name, out):
    if name == "swiscsi-ls":
        return ["iscsi://127.0.0.1:9"]
    return ["iscsi://127.0.0.1:9/iqn.x/0"] + ([str(out)] if name == "swiscsi-cp" else [])


@pytest.mark.parametrize("name", TOOLS)
@pytest.mark.parametrize("bad", [["-Z"], ["--no-such-option"], ["-h"], ["-i"]])
def test_a_bad_option_exits_7_with_the_usage(name, bad, tmp_path):
    args = good_args(name, tmp_path / "out")
    # -i takes an argument: last on the line, it has none
    r = tool(name, *(args + bad if bad == ["-i"] else bad + args))
    assert r.rc == 7, (bad, r)
    assert f"usage: {name} [-h] " in r.err, (bad, r)
    assert not (tmp_path / "out").exists()


def test_the_project_cites_only_itself():
    """Reference documents kept outside the repository are never cited: a rule is said where it
    applies, or the man page (DIFFERENCES FROM ISCSIADM in swiscsiadm(8)) is named."""
    outside = ["swiscsi-" + "decisions.md", "iscsiadm-" + "compat.md", "design" + ".md"]
    cited = []
    for top in ("bench", "cli", "completion", "daemon", "debian", "docs", "hba", "include", "lib",
                "net", "records", "scripts", "tests", "tools"):
        for path in (REPO / top).rglob("*"):
            if path.is_file() and not path.is_symlink():
                text = path.read_bytes().decode(errors="replace")
                cited += [f"{path.relative_to(REPO)}: {doc}" for doc in outside if doc in text]
    readme = (REPO / "README.md").read_text()
    cited += [f"README.md: {doc}" for doc in outside if doc in readme]
    assert not cited, cited
