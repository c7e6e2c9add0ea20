#!/bin/bash
# Miniconda3 installer stand-in of an envdoctor simulated node.
# Same command line and the same questions as the real constructor-made installer
# (-b batch, -p PREFIX, -u update, -h help); the base environment it installs is a real
# virtualenv plus the conda stand-in (see envdoctor/targets/sim/payload/standins/conda.py).
set -eu
VER="py313_24.11.1-0"
PREFIX="$HOME/miniconda3"
BATCH=0
UPDATE=0
THIS_PATH="$0"

usage() {
    cat <<USAGE
usage: $0 [options]

Installs Miniconda3 $VER

-b           run install in batch mode (without manual intervention),
             it is expected the license terms (if any) are agreed upon
-f           no error if install prefix already exists
-h           print this help message and exit
-p PREFIX    install prefix, defaults to $PREFIX, must not contain spaces.
-s           skip running pre/post-link/install scripts
-u           update an existing installation
USAGE
}

while getopts "bfhp:su" opt; do
    case "$opt" in
        b) BATCH=1 ;;
        f) UPDATE=1 ;;
        h) usage; exit 2 ;;
        p) PREFIX="$OPTARG" ;;
        s) ;;
        u) UPDATE=1 ;;
        *) usage; exit 2 ;;
    esac
done

if [ "$BATCH" = 0 ]; then
    printf "\nWelcome to Miniconda3 %s\n\n" "$VER"
    printf "In order to continue the installation process, please review the license\n"
    printf "agreement.\n"
    printf "Please, press ENTER to continue\n"
    printf ">>> "
    read -r _dummy || true
    printf "\nEND USER LICENSE AGREEMENT (stand-in: the simulated node has no license text)\n\n"
    printf "Do you accept the license terms? [yes|no]\n>>> "
    read -r ans || ans=""
    while [ "$ans" != "yes" ] && [ "$ans" != "Yes" ] && [ "$ans" != "YES" ] && \
          [ "$ans" != "no" ] && [ "$ans" != "No" ] && [ "$ans" != "NO" ]; do
        printf "Please answer 'yes' or 'no':'\n>>> "
        read -r ans || { ans="no"; break; }
    done
    case "$ans" in yes|Yes|YES) ;; *) printf "The license agreement wasn't approved, aborting installation.\n"; exit 2 ;; esac
    printf "\nMiniconda3 will now be installed into this location:\n%s\n\n" "$PREFIX"
    printf "  - Press ENTER to confirm the location\n  - Press CTRL-C to abort the installation\n"
    printf "  - Or specify a different location below\n\n[%s] >>> " "$PREFIX"
    read -r user_prefix || user_prefix=""
    if [ -n "$user_prefix" ]; then
        case "$user_prefix" in "~"*) user_prefix="$HOME${user_prefix#\~}" ;; esac
        PREFIX="$user_prefix"
    fi
fi

case "$PREFIX" in *" "*) printf "ERROR: Cannot install into directories with spaces\n" >&2; exit 1 ;; esac
if [ "$UPDATE" = 0 ] && [ -e "$PREFIX" ]; then
    printf "ERROR: File or directory already exists: '%s'\n" "$PREFIX" >&2
    printf "If you want to update an existing installation, use the -u option.\n" >&2
    exit 1
fi
mkdir -p "$PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
printf "PREFIX=%s\n" "$PREFIX"
printf "Unpacking payload ...\n"

# The base environment: a real interpreter (a virtualenv of the host Python that plays
# Miniconda's bundled Python).
if [ ! -x "$PREFIX/bin/python" ]; then
    VIRTUALENV_OVERRIDE_APP_DATA='@APP_DATA@' '@VIRTUALENV_PYTHON@' -m virtualenv --quiet --no-download \
        --no-periodic-update --prompt base -p '@BASE_PYTHON@' "$PREFIX" >/dev/null
fi
mkdir -p "$PREFIX/conda-meta" "$PREFIX/envs" "$PREFIX/pkgs" "$PREFIX/condabin" "$PREFIX/etc/profile.d"

cat > "$PREFIX/etc/envdoctor-sim.json" <<'__SETTINGS__'
@SETTINGS_JSON@
__SETTINGS__

{ printf '#!%s\n' "$PREFIX/bin/python"; cat <<'__CONDA_PY__'
@CONDA_PY@
__CONDA_PY__
} > "$PREFIX/bin/conda"
chmod 755 "$PREFIX/bin/conda"

cat > "$PREFIX/condabin/conda" <<__CONDABIN__
#!/bin/sh
exec "$PREFIX/bin/conda" "\$@"
__CONDABIN__
chmod 755 "$PREFIX/condabin/conda"

# etc/profile.d/conda.sh: the shell functions, without activating base.
CONDA_AUTO_ACTIVATE_BASE=false "$PREFIX/bin/conda" shell.bash hook > "$PREFIX/etc/profile.d/conda.sh"

cat > "$PREFIX/bin/activate" <<__ACTIVATE__
#!/bin/sh
_CONDA_ROOT="$PREFIX"
# Copyright (C) 2012 Anaconda, Inc
# SPDX-License-Identifier: BSD-3-Clause
\. "\$_CONDA_ROOT/etc/profile.d/conda.sh" || return \$?
conda activate "\$@"
__ACTIVATE__
cat > "$PREFIX/bin/deactivate" <<__DEACTIVATE__
#!/bin/sh
_CONDA_ROOT="$PREFIX"
\. "\$_CONDA_ROOT/etc/profile.d/conda.sh" || return \$?
conda deactivate
__DEACTIVATE__

BASE_VERSION="$("$PREFIX/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
if [ ! -f "$PREFIX/conda-meta/history" ]; then
    {
        printf '==> %s <==\n' "$(date '+%Y-%m-%d %H:%M:%S')"
        printf '# cmd: %s %s\n' "$THIS_PATH" "$*"
        printf '+defaults/linux-64::conda-24.11.3-py313h06a4308_0\n'
        printf '+defaults/linux-64::python-%s-h955ad1f_0\n' "$BASE_VERSION"
    } > "$PREFIX/conda-meta/history"
fi
printf '{"name": "python", "version": "%s", "build": "h955ad1f_0", "channel": "https://repo.anaconda.com/pkgs/main/linux-64"}\n' \
    "$BASE_VERSION" > "$PREFIX/conda-meta/python-$BASE_VERSION-0.json"
printf '{"name": "conda", "version": "24.11.3", "build": "py313h06a4308_0", "channel": "https://repo.anaconda.com/pkgs/main/linux-64"}\n' \
    > "$PREFIX/conda-meta/conda-24.11.3-0.json"
printf "\nPreparing transaction: done\nExecuting transaction: done\ninstallation finished.\n"

if [ "$BATCH" = 0 ]; then
    printf "Do you wish to update your shell profile to automatically initialize conda?\n"
    printf "This will activate conda on startup and change the command prompt when activated.\n"
    printf "If you'd prefer that conda's base environment not be activated on startup,\n"
    printf "   run the following command when conda is activated:\n\n"
    printf "conda config --set auto_activate_base false\n\n"
    printf "You can undo this by running \`conda init --reverse \$SHELL\`? [yes|no]\n"
    printf "[no] >>> "
    read -r ans || ans=""
    case "$ans" in
        yes|Yes|YES|y|Y)
            "$PREFIX/bin/conda" init bash
            ;;
        *)
            printf "\nYou have chosen to not have conda modify your shell scripts at all.\n"
            printf "To activate conda's base environment in your current shell session:\n\n"
            printf 'eval "$(%s/bin/conda shell.YOUR_SHELL_NAME hook)" \n\n' "$PREFIX"
            printf "To install conda's shell functions for easier access, first activate, then:\n\n"
            printf "conda init\n\n"
            ;;
    esac
    printf "Thank you for installing Miniconda3!\n"
fi
exit 0
