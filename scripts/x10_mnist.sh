#!/bin/sh
# The x10 image board (issue 23; partial: leaderboards/x10-mnist-cpu/README.md), resumable: run
# this script again and it continues where it stopped (finished runs are skipped, a run cut off
# mid-way goes on from its last 5-minute save, partial.pt). Seed 0 of every variant first, then
# seeds 1 and 2, in pieces of at most M minutes (runs already going finish), one run at a time at
# low priority, so it can share the machine:
#
#   nohup nice -n 10 sh scripts/x10_mnist.sh >> runs/x10-mnist.log 2>&1 &
#   J=2 nohup sh scripts/x10_mnist.sh >> runs/x10-mnist.log 2>&1 &   # both cores, two runs at a time
set -u
cd "$(dirname "$0")/.."
GANBENCH=${GANBENCH:-.venv/bin/ganbench}
M=${M:-30}
J=${J:-1}  # runs at a time: J=2 when the board may have both cores
# VARIANTS may reorder the runs (cheap ones first when a session is short); the board is the same
VARIANTS=${VARIANTS:-"dcgan lsgan wgan-gp wgan-div sngan acgan cgan infogan"}
for SEEDS in "0" "0 1 2"; do
    while :; do
        # shellcheck disable=SC2086
        $GANBENCH run --variant $VARIANTS --dataset mnist --preset quick --steps 5000 \
            --seeds $SEEDS --jobs "$J" --max-minutes "$M" --quiet --out leaderboards/x10-mnist-cpu \
            > runs/x10-mnist.last 2>&1
        status=$?
        cat runs/x10-mnist.last
        [ $status -eq 0 ] || exit $status
        grep -q "stopped by --max-minutes" runs/x10-mnist.last || break
    done
done
echo "x10-mnist-cpu: complete"
