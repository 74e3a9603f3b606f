#!/usr/bin/env bash
# Compares vica's training throughput with the PyTorch reference
# (../shared/reference/torch_vae.py) in one run, alternating the two, at the
# two shapes of the vae issue. Run it on an otherwise idle machine:
#
#   vae/compare_torch.sh [ROUNDS]
#
# For each shape it prints every measurement, then the best of vica (both
# cores), of vica on one core, and of PyTorch over 1 and 2 threads (PyTorch is
# fastest with 1 thread on these 2-core machines), and the ratio vica/PyTorch.
# Needs Debian's python3-torch (apt-get install python3-torch).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ref="$here/../shared/reference/torch_vae.py"
rounds=${1:-3}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$here" && go build -o "$bin/vica" ./cmd/vica)

best() { sort -g | tail -1; }
for shape in "10 10 128 2 256 51200" "160 10 256 2 256 25600"; do
  read -r in k h l b n <<<"$shape"
  : > "$bin/v2"; : > "$bin/v1"; : > "$bin/t"
  for r in $(seq "$rounds"); do
    "$bin/vica" bench --in "$in" --latent "$k" --hidden "$h" --layers "$l" --batch "$b" --windows "$n" --threads 2 --json |
      /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["windows_per_sec"])' | tee -a "$bin/v2" | sed 's/^/  vica threads=2: /'
    "$bin/vica" bench --in "$in" --latent "$k" --hidden "$h" --layers "$l" --batch "$b" --windows "$n" --threads 1 --json |
      /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["windows_per_sec"])' | tee -a "$bin/v1" | sed 's/^/  vica threads=1: /'
    for t in 1 2; do
      /usr/bin/python3 "$ref" "$in" "$k" "$h" "$l" "$b" "$n" "$t" f32 | tee /dev/stderr |
        sed -E 's/.*: ([0-9.]+) windows\/s/\1/' >> "$bin/t"
    done
  done
  v2=$(best < "$bin/v2"); v1=$(best < "$bin/v1"); t=$(best < "$bin/t")
  /usr/bin/python3 -c "print(f'shape in=$in K=$k hidden=${h}x$l batch=$b: vica {float($v2):.0f} windows/s (1 thread {float($v1):.0f}, speed-up {float($v2)/float($v1):.2f}x), PyTorch best {float($t):.0f}: ratio {float($v2)/float($t):.2f}')"
done
