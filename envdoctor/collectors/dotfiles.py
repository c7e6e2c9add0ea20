"""Dotfile facts: which of the files that change a shell, conda, pip, git or ssh exist in
the user's home, and their permissions (never their contents: ~/.netrc holds passwords).

What the startup files say (conda init blocks, interactive-only guards, sourcing ~/.bashrc)
is the `shells` collector's analysis.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict

from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector

NAMES = (".bash_profile", ".bash_login", ".profile", ".bashrc", ".condarc", ".netrc", ".gitconfig",
         ".pip/pip.conf", ".config/pip/pip.conf", ".local/bin")


@dataclass(frozen=True)
class DotfilesFacts(Facts):
    modes: Dict[str, str]  # "~/.bashrc" -> "0o644", for each of NAMES that exists


@collector("dotfiles", DotfilesFacts)
def collect_dotfiles(ctx: ProbeContext) -> DotfilesFacts:
    modes = {}
    for name in NAMES:
        try:
            st = os.stat(os.path.join(ctx.target.home, name))
        except OSError:
            continue
        modes["~/" + name] = oct(st.st_mode & 0o777)
    return DotfilesFacts(modes)
