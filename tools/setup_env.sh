#!/usr/bin/env bash
# Build the ganseg_mm virtual environment (called by `make setup`).
#
# Idempotent: every step is a no-op when already satisfied. mmcv 2.1.0 has no
# wheel for this torch, so it is compiled once with its ops and the wheel is
# kept in $GANSEG_WHEEL_CACHE (default ~/.cache/ganseg_mm/wheels/torch-<ver>/),
# outside the clone, so new clones and CI reuse it instead of rebuilding.
set -euo pipefail

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
WHEEL_CACHE=${GANSEG_WHEEL_CACHE:-$HOME/.cache/ganseg_mm/wheels}
CONSTRAINTS=requirements/constraints.txt
MMCV_VERSION=$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

[ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check -q -c "$CONSTRAINTS")

log "torch, torchvision and mmcv's build requirements"
"${PIP[@]}" torch torchvision setuptools wheel ninja numpy packaging psutil
TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__)')
WHEEL_DIR="$WHEEL_CACHE/torch-$TORCH_VERSION"

if ! ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
  log "building mmcv $MMCV_VERSION with ops against torch $TORCH_VERSION (10-15 min on 2 cores, once)"
  tmp=$(mktemp -d "$WHEEL_CACHE.build.XXXXXX" 2>/dev/null || { mkdir -p "$WHEEL_CACHE"; mktemp -d "$WHEEL_CACHE.build.XXXXXX"; })
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip wheel --disable-pip-version-check \
    --no-build-isolation --no-deps -c "$CONSTRAINTS" "mmcv==$MMCV_VERSION" -w "$tmp"
  mkdir -p "$WHEEL_DIR"
  mv "$tmp"/mmcv-*.whl "$WHEEL_DIR"/  # only a finished wheel lands in the cache
  rm -rf "$tmp"
else
  log "reusing $(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl)"
fi

log "OpenMMLab stack, runtime and test requirements"
"${PIP[@]}" --find-links "$WHEEL_DIR" "mmcv==$MMCV_VERSION" \
  -r requirements/mminstall.txt -r requirements/runtime.txt -r requirements/tests.txt \
  -r requirements/extras.txt
# openmim 0.3.9 declares opendatalab, which pins rich==13.4.2 against the typer
# that transformers needs; mim never imports it, so install mim without it.
"${PIP[@]}" --no-deps openmim
"${PIP[@]}" Click colorama model-index pandas requests rich tabulate

log "ganseg_mm (editable)"
"${PIP[@]}" --no-build-isolation --no-deps -e .
"$PY" -c 'import ganseg_mm, mmcv.ops, mmseg, mmagic; print("stack ok: ganseg_mm", ganseg_mm.__version__)'
