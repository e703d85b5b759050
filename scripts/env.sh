# Sourced by scripts/*: a venv with the pinned Python tools, and a shared cargo
# target directory outside the clone so repeat runs are fast.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/streamkit-target}"
STREAMKIT_VENV="${STREAMKIT_VENV:-$HOME/.cache/streamkit-venv}"
# Paths relative to the repository, wherever this is sourced from.
streamkit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$streamkit_root/tests/requirements.txt"
stamp="$STREAMKIT_VENV/.requirements"
wanted=$(cat "$streamkit_root/emulator/requirements.txt" "$requirements")
if [ "$wanted" != "$(cat "$stamp" 2>/dev/null)" ]; then
  echo "streamkit: installing the pinned Python tools ($requirements, emulator/requirements.txt) into $STREAMKIT_VENV" >&2
  python3 -m venv "$STREAMKIT_VENV"
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
