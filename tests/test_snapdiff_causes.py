"""diff ranks a cause above the symptoms it explains."""
from __future__ import annotations

from envdoctor.snapdiff import Difference, causes_first


def test_bash_profile_outranks_everything_it_causes() -> None:
    found = [
        Difference("shells.login.conda", "conda", "function", None, "conda works in login shells of only one", 88),
        Difference("path.entries", "shell", "~/miniconda3/bin", None, "PATH differs", 62),
        Difference("dotfiles.bash_profile_sources_bashrc", "shell", True, False, "~/.bash_profile ...", 82),
        Difference("packages.dists.Pygments", "packages", "2.17.1", "2.17.2", "patch", 6),
    ]
    ranked = sorted(causes_first(found), key=lambda d: -d.score)
    assert ranked[0].key == "dotfiles.bash_profile_sources_bashrc"
    login = next(d for d in ranked if d.key == "shells.login.conda")
    assert "follows from dotfiles.bash_profile_sources_bashrc" in login.meaning
    pyg = next(d for d in ranked if d.key == "packages.dists.Pygments")
    assert "follows from" not in pyg.meaning


def test_a_cause_without_symptoms_keeps_its_score() -> None:
    alone = [Difference("dotfiles.conda_init.behind_guard", "conda", True, False, "guard", 86)]
    assert causes_first(alone)[0].score == 86
