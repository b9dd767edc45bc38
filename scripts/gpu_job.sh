#!/usr/bin/env bash
# Everything a lent GPU should do, in order of value (ganbench/jobs/gpu.py): a CUDA smoke of every
# variant, the training benchmark, the precision choice per family, pacgan-table1 and veegan-table1
# at scale 1, the standard 2-D leaderboard, then MNIST. Resumable: each call stops cleanly after
# MAX_MINUTES (default 8, for 10-minute device commands) and the same call goes on.
#
# On the device machine (python3 3.12 with torch, no network): the wheels ganbench needs and the
# image lacks travel in .whl (made here once by scripts/gpu_wheels.sh, carried with `carry .whl`);
# the results come back as one archive, $OUT/gpu-job.tgz (run folders without checkpoints).
#
#   device run: bash scripts/gpu_job.sh            (carry: .whl, and runs/gpu-job to resume)
#   here:       DRY_RUN=1 bash scripts/gpu_job.sh   (the same code paths, tiny, on the CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
JOB_OUT=${JOB_OUT:-runs/gpu-job}
PY=${PY:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
if [ -d .whl ] && ls .whl/*.whl > /dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
else
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1
ARGS=(gpu-job --out "$JOB_OUT" --max-minutes "${MAX_MINUTES:-8}")
if [ -n "${DRY_RUN:-}" ]; then ARGS+=(--dry-run --device cpu); fi
status=0
"$PY" -m ganbench.cli "${ARGS[@]}" "$@" || status=$?
if [ -n "${OUT:-}" ]; then  # on the device machine: one archive comes back
  tar czf "$OUT/gpu-job.tgz" --exclude=checkpoint.pt --exclude=claim.json "$JOB_OUT"
fi
exit $status
