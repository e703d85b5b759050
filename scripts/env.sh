# Sourced by scripts/*: a venv with the pinned Python tools, and a shared cargo
# target directory outside the clone so repeat runs are fast.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/streamkit-target}"
STREAMKIT_VENV="${STREAMKIT_VENV:-$HOME/.cache/streamkit-venv}"
# Paths relative to the repository, wherever this is sourced from.
streamkit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$streamkit_root/tests/requirements.txt"
stamp="$STREAMKIT_VENV/.requirements"
# The venv's interpreter (src/local/python.rs chooses alike): the system's
# /usr/bin/python3 when it is 3.11 or newer and can make a venv, else python3
# on PATH. On this project's machines python3 on PATH is pyenv's 3.11.7, built
# without --enable-optimizations and with libpython as a shared library; the
# emulator used 7% less CPU on Debian's /usr/bin/python3 (3.11.2) for the same
# joins run (BENCHMARKS.md, "Streaming joins at scale").
base_python=python3
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  base_python=/usr/bin/python3
fi
wanted="python: $base_python
$(cat "$streamkit_root/emulator/requirements.txt" "$requirements")"
if [ "$wanted" != "$(cat "$stamp" 2>/dev/null)" ]; then
  echo "streamkit: installing the pinned Python tools ($requirements, emulator/requirements.txt) into $STREAMKIT_VENV ($base_python)" >&2
  "$base_python" -m venv --clear "$STREAMKIT_VENV"
  (cd "$streamkit_root/tests" && "$STREAMKIT_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements") \
    && printf '%s' "$wanted" > "$stamp"
fi
# checkov in a venv of its own: it pins an old boto3 the emulator cannot run on.
checkov_venv="$STREAMKIT_VENV-checkov"
checkov_wanted=$(cat "$streamkit_root/tests/checkov-requirements.txt")
if [ "$checkov_wanted" != "$(cat "$checkov_venv/.requirements" 2>/dev/null)" ]; then
  echo "streamkit: installing checkov (tests/checkov-requirements.txt) into $checkov_venv" >&2
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check -r "$streamkit_root/tests/checkov-requirements.txt" \
    && printf '%s' "$checkov_wanted" > "$checkov_venv/.requirements"
fi
export STREAMKIT_CHECKOV="$checkov_venv/bin/checkov"
export PATH="$STREAMKIT_VENV/bin:$PATH"
export STREAMKIT_PYTHON="$STREAMKIT_VENV/bin/python"
export STREAMKIT_CFN_LINT="$STREAMKIT_VENV/bin/cfn-lint"
