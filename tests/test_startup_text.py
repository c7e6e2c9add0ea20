"""envdoctor.startup_text: one reading of a startup file's text, for check and setup alike."""
from __future__ import annotations

import pytest
from envhelpers import GUARD

from envdoctor.startup_text import CondaBlock, TextLine, analyse_text
from envdoctor.steps.dotfiles import guard_line


def test_analyse_text_finds_blocks_guards_and_sourcing() -> None:
    text = ("# rc\n" + GUARD + "# >>> conda initialize >>>\n__conda_setup=\"$('/h/miniconda3/bin/conda' 'shell.bash' "
            "'hook' 2> /dev/null)\"\n# <<< conda initialize <<<\nsource ~/.bashrc\nconda activate groqflow\n")
    facts = analyse_text(text)
    assert facts.guards == (TextLine(2, "case $- in"),)
    assert facts.conda_blocks == (CondaBlock(6, 8, "/h/miniconda3"),)
    assert facts.sources_bashrc == (9,)
    assert facts.activations[0].line == 10
    assert facts.lines == 10


def test_an_unterminated_conda_block_is_kept_with_end_0() -> None:
    facts = analyse_text("# >>> conda initialize >>>\n. \"/h/mc/etc/profile.d/conda.sh\"\n")
    assert facts.conda_blocks == (CondaBlock(1, 0, "/h/mc"),)


def test_guard_spellings() -> None:
    for line in ('[ -z "$PS1" ] && return', "[[ $- != *i* ]] && return", '[ -z "${PS1-}" ] && return',
                 "case $- in *i*) ;; *) return;; esac", 'if [[ "$-" != *i* ]]; then\n  return\nfi'):
        assert analyse_text(line + "\n").guards, line
    for line in ('PS1="[\\u@\\h]$ "', "echo $-", "return 0 2>/dev/null"):
        assert not analyse_text(line + "\n").guards, line


def test_lines_end_only_at_newline_as_for_bash() -> None:
    """A stray carriage return or form feed does not start a line: line numbers stay bash's
    (`declare -F` reports where conda was defined by bash's count), and setup inserts where
    check pointed."""
    text = "export A=1\r echo\nexport B=2\x0c\n" + GUARD + "# >>> conda initialize >>>\n# <<< conda initialize <<<\n"
    facts = analyse_text(text)
    assert facts.guards[0].line == 3 and facts.conda_blocks[0].start == 3 + GUARD.count("\n")
    assert facts.lines == text.count("\n")


@pytest.mark.parametrize("text", [
    "# rc\n" + GUARD + "alias ll='ls -l'\n",
    'export X=1\n[ -z "$PS1" ] && return\n',
    'if [[ "$-" != *i* ]]; then\n  return\nfi\n',
    "echo no guard here\n",
    "# >>> conda initialize >>>\n[ -z \"$PS1\" ] && return\n# <<< conda initialize <<<\n",  # inside a block: not one
])
def test_setup_puts_its_block_above_the_guard_check_reports(text: str) -> None:
    guards = analyse_text(text).guards
    assert guard_line(text) == (guards[0].line - 1 if guards else None)
