#!/bin/sh
# Installs the PyTorch peers of bench/compare.py (issue 28). Idempotent: what is already there is
# left alone. Run as root (apt-get, /opt):
#   bench/setup-peers.sh [VENV]            (VENV defaults to /opt/torch213)
# - PyTorch 1.13.1 from Debian (python3-torch, python3-torchvision) at /usr/bin/python3;
# - PyTorch 2.13.0+cpu in a virtualenv, from the pip index configured for pip (on the project's
#   machines a local wheel folder). No torchvision there: the local torchvision wheels are CUDA
#   builds that do not import next to the +cpu torch, so bench/pytorch_peer.py defines
#   torchvision's ResNet-34 itself when torchvision is missing.
# - bench/fma_peak (the CPU's FP32 FMA peak, for compare.py's "% of peak"), built with gcc.
set -eu
VENV=${1:-/opt/torch213}
TORCH=${TORCH_VERSION:-2.13.0+cpu}
HERE=$(cd "$(dirname "$0")" && pwd)

if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
    apt-get install -y python3-torch python3-torchvision
fi

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ "$("$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null)" != "$TORCH" ]; then
    "$VENV/bin/pip" install --disable-pip-version-check "torch==$TORCH"
fi

if [ ! -x "$HERE/fma_peak" ] || [ "$HERE/fma_peak.c" -nt "$HERE/fma_peak" ]; then
    gcc -O3 -march=native -fopenmp -o "$HERE/fma_peak" "$HERE/fma_peak.c"
fi

echo "torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null) at /usr/bin/python3"
echo "torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null) at $VENV/bin/python"
echo "fma_peak at $HERE/fma_peak"
