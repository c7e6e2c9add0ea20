"""`envdoctor sim shell`: the student's login shell on a simulated node.

Inside it the node answers as the real one does, so that every command envdoctor prints for
the node can be typed verbatim:
- the ALCF paths (`/software/...`, `/opt/...`, `/usr/bin/python3.8`) are the node's own trees:
  the shell runs in a private mount namespace whose root is a tmpfs holding this machine's
  top-level directories, with each of the node's mapped roots mounted over its path (a
  read-only overlay, the node's files first, where this machine has that directory too; a
  bind mount where it does not). Nothing on this machine changes: the mounts exist only in
  the namespace and end with the shell.
- the real upstream URLs are the node's local copies: git reads `url.<copy>.insteadOf <real>`
  from GIT_CONFIG_* variables (the user's ~/.gitconfig is never touched); `wget` and `curl`
  are small wrappers (payload/shell/) that answer known URLs from the node's copies and fail
  like a machine without network for every other host.
- pip installs from the node's wheelhouse (the node's process environment), offline.

The namespace needs `unshare` (util-linux) and either root or unprivileged user namespaces.
Where neither is available the shell still starts, with one line saying that ALCF paths are
under the node's directory in it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from envdoctor import proc
from envdoctor.targets import Target

PAYLOAD = Path(__file__).parent / "payload" / "shell"
MINICONDA_URL = "https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh"

# Runs inside the new namespace as its root: build the tmpfs root, mount the node over it,
# chroot, and start the user's shell (as the user again, in a nested user namespace, when
# envdoctor itself is not root). Arguments: NODE_ROOT MOUNTPOINT SHELLDIR UID GID HOSTNAME
# MAPPED_ROOTS CMD...
_INIT = r'''
set -e
node=$1 top=$2 shelldir=$3 uid=$4 gid=$5 host=$6 MAPPED=$7; shift 7
user_path=$PATH
PATH=/usr/sbin:/sbin:/usr/bin:/bin
chroot_bin=$(command -v chroot)
mount -t tmpfs envdoctor-sim "$top"
for entry in /*; do
    name=${entry#/}
    if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "$top/$name"; continue; fi
    [ -d "$entry" ] || continue
    mkdir "$top/$name"
    lower=""
    [ -d "$shelldir/$name" ] && lower="$shelldir/$name:"
    [ -d "$node/$name" ] && case " $MAPPED " in *" $name "*) lower="$lower$node/$name:" ;; esac
    if [ -n "$lower" ] && mount -t overlay envdoctor-sim -o "lowerdir=$lower$entry" "$top/$name" 2>/dev/null; then
        continue
    fi
    mount --rbind "$entry" "$top/$name"
done
for name in $MAPPED; do
    if [ -d "$node/$name" ] && [ ! -e "$top/$name" ]; then
        mkdir "$top/$name"; mount --rbind "$node/$name" "$top/$name"
    fi
done
hostname "$host" 2>/dev/null || true
if [ "$uid" = 0 ]; then
    PATH=$user_path exec "$chroot_bin" "$top" /bin/sh -c 'cd "$HOME" 2>/dev/null; exec "$@"' sh "$@"
fi
PATH=$user_path exec "$chroot_bin" "$top" /usr/bin/unshare --map-user="$uid" --map-group="$gid" /bin/sh -c 'cd "$HOME" 2>/dev/null; exec "$@"' sh "$@"
'''


@dataclass(frozen=True)
class ShellPlan:
    """What `sim shell` will exec: argv, environment, and a note for the user (or "")."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    note: str


def downloads(target: Target) -> dict[str, str]:
    """Real URL -> the node's copy, for every download a course's commands make."""
    found = {str(k): str(v) for k, v in (target.meta.get("downloads") or {}).items()}
    installer = target.meta.get("installer")
    if installer:
        found.setdefault(MINICONDA_URL, str(installer))
    return found


def git_url_config(target: Target) -> dict[str, str]:
    """GIT_CONFIG_* variables that send each real upstream URL to the node's bare repo.
    The URL without `.git` is mapped too (git picks the longest matching prefix)."""
    pairs: list[tuple[str, str]] = []
    for real, local in (target.meta.get("upstreams") or {}).items():
        pairs.append((f"url.{local}.insteadOf", str(real)))
        if str(real).endswith(".git"):
            pairs.append((f"url.{local}.insteadOf", str(real)[:-4]))
    env = {"GIT_CONFIG_COUNT": str(len(pairs))}
    for i, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def shell_env(target: Target, downloads_file: str) -> dict[str, str]:
    env = target.login_env()
    env.update({str(k): str(v) for k, v in (target.meta.get("process_env") or {}).items()})
    env.update(git_url_config(target))
    env["ENVDOCTOR_SIM_DOWNLOADS"] = downloads_file
    env["ENVDOCTOR_SIM_SHELL"] = target.root
    return env


def prepare(target: Target) -> tuple[str, str]:
    """Write the node's downloads map and its wrappers' directory (R/.shell). Returns
    (downloads file, wrapper tree whose usr/local/bin goes first on PATH)."""
    base = Path(target.root) / ".shell"
    bindir = base / "usr" / "local" / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for wrapper in ("wget", "curl"):
        dest = bindir / wrapper
        dest.write_bytes((PAYLOAD / wrapper).read_bytes())
        dest.chmod(0o755)
    table = base / "downloads.tsv"
    table.write_text("".join(f"{url}\t{copy}\n" for url, copy in sorted(downloads(target).items())), encoding="utf-8")
    (base / "mnt").mkdir(exist_ok=True)
    return str(table), str(base)


def namespace_available() -> str:
    """'' when a private mount namespace can be made here, else why not (one line)."""
    if proc.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = ["unshare", "--mount", "true"] if os.geteuid() == 0 else ["unshare", "-r", "--mount", "true"]
    done = proc.run(probe, timeout=5)
    if done.ok:
        return ""
    return (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]


def plan(target: Target, command: str | None) -> ShellPlan:
    downloads_file, shelldir = prepare(target)
    env = shell_env(target, downloads_file)
    user_shell: Sequence[str] = ("bash", "-l", "-c", command) if command is not None else ("bash", "-l")
    why_not = namespace_available()
    if why_not:
        # Without a namespace: the node's home and environment, wrappers first on PATH.
        env["PATH"] = f"{shelldir}/usr/local/bin:{env['PATH']}"
        note = (f"sim shell: no private mount namespace here ({why_not}); in this shell the node's "
                f"ALCF paths are under {target.root} (e.g. {target.root}/software)")
        return ShellPlan(tuple(user_shell), env, note)
    unshare = ["unshare", "--mount", "--uts"] if os.geteuid() == 0 else ["unshare", "-r", "--mount", "--uts"]
    argv = (*unshare, "bash", "-c", _INIT, "envdoctor-sim-init", target.root, f"{shelldir}/mnt", shelldir,
            str(os.getuid()), str(os.getgid()), target.hostname,
            " ".join(str(r) for r in target.meta.get("mapped_roots", ())), *user_shell)
    return ShellPlan(tuple(argv), env, "")


def describe(target: Target) -> str:
    """Banner for an interactive shell: where the user is and how to leave."""
    return (f"simulated {target.meta.get('platform')} node {target.hostname} (user {target.user}); "
            f"ALCF paths and upstream URLs answer from {target.root}; `exit` to leave.\n"
            f"  check it from outside with: envdoctor check {target.meta.get('platform')}{target.cli_args()}")
