#!/usr/bin/env bash
# Executes notebooks headless and fails on any error.
#
#   notebooks/run.sh [--update] [NOTEBOOK.ipynb ...]
#
# With no notebook named it runs quickstart.ipynb, and foetal_ecg.ipynb and
# sensors.ipynb when their data (../shared/data/...) is present. It builds
# vica from this checkout and puts it in $VICA. With --update the executed
# notebooks replace the committed ones (outputs included); otherwise they are
# written to a temporary directory and the checkout is left as it was.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
update=false
if [ "${1:-}" = "--update" ]; then update=true; shift; fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$here/.." && go build -o "$bin/vica" ./cmd/vica)
export VICA="$bin/vica"
export PYDEVD_DISABLE_FILE_VALIDATION=1 # silences a debugger warning of ipykernel

notebooks=("$@")
if [ ${#notebooks[@]} -eq 0 ]; then
  notebooks=(quickstart.ipynb)
  [ -f "$here/../../shared/data/foetal_ecg/foetal_ecg.csv" ] && notebooks+=(foetal_ecg.ipynb)
  [ -f "$here/../../shared/data/airquality/AirQualityUCI.csv" ] && notebooks+=(sensors.ipynb)
fi

cd "$here"
for nb in "${notebooks[@]}"; do
  echo "== executing $nb"
  if $update; then
    jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=900 "$nb"
  else
    jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 --output-dir "$bin" "$nb"
  fi
done
echo "notebooks: ${#notebooks[@]} passed, 0 failed"
