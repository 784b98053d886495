#!/usr/bin/env bash
# Distributed training with torchrun (MMEngine DDP). On machines with no GPU
# it runs on CPUs with gloo, with no extra flag.
#   bash tools/dist_train.sh CONFIG NPROC [train.py args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT. PYTHON=... chooses the
# interpreter (default: the active env, else the .venv of make; see
# tools/find_python.sh). TOOL_SCRIPT=<script of tools/> runs another tool
# the same way (tools/dist_cache_teacher.sh runs cache_teacher.py).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NPROC [train.py args...]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
# the interpreter: $PYTHON, else the active env, else the Makefile's .venv
source "$(dirname "$0")/find_python.sh"

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$(dirname "$0")/${TOOL_SCRIPT:-train.py}" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
