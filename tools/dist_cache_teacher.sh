#!/usr/bin/env bash
# Build a teacher cache with torchrun, each process writing its own shards
# (as tools/dist_train.sh; on machines with no GPU, CPUs with gloo).
#   bash tools/dist_cache_teacher.sh CONFIG NPROC [cache_teacher.py args...]
TOOL_SCRIPT=cache_teacher.py exec bash "$(dirname "$0")/dist_train.sh" "$@"
