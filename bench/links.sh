#!/usr/bin/env bash
# Position-lookup benchmark: one standard with many links, checked and built.
#
# Every link's line and column is needed for `loket check`'s messages. The first edition
# recounted lines from the top of the body for each link (10,000 links: 2.6 s, 40,000:
# 43.5 s); positions now come from a line index built once per file. This script copies
# the shipped site, adds one standard whose sections hold N links (default 40000: to
# anchors of the page, to another page's anchor, to external sites), then times
# `loket check` and `loket build` in release mode, RUNS times each, and prints the medians.
#
# Usage: bench/links.sh [N]      env: RUNS (default 5), CARGO_TARGET_DIR
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-40000}
RUNS=${RUNS:-5}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then WORK=$(mktemp -d -p /dev/shm); else WORK=$(mktemp -d); fi
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --bin loket
LOKET=${CARGO_TARGET_DIR:-$ROOT/target}/release/loket

cp -r site.toml content themes data "$WORK/"
awk -v n="$N" 'BEGIN {
  f = "'"$WORK"'/content/layanan/banyak-tautan.md"
  printf "+++\ntitle = \"Layanan Banyak Tautan\"\ncode = \"TAUT\"\nsk = \"KEP-1/PB/2026\"\n" > f
  printf "completion = \"20m\"\nfee = 0\nchannels = [\"email\"]\nupdated = 2026-11-29\n+++\n\n" > f
  split("persyaratan prosedur waktu-penyelesaian biaya produk pengaduan", anchors, " ")
  split("Persyaratan|Sistem, Mekanisme dan Prosedur|Jangka Waktu Penyelesaian|Biaya/Tarif|Produk Pelayanan|Penanganan Pengaduan, Saran dan Masukan", names, "|")
  per = int(n / 6) + 1
  done = 0
  for (s = 1; s <= 6; s++) {
    printf "## %s\n\n", names[s] > f
    if (s == 3) printf "20 menit.\n\n" > f
    if (s == 4) printf "Tidak dipungut biaya.\n\n" > f
    for (k = 1; k <= per && done < n; k++) {
      done++
      r = done % 3
      if (r == 0) printf "- Lihat [bagian %d](#%s).\n", done, anchors[(done % 6) + 1] > f
      else if (r == 1) printf "- Lihat [kontak %d](/tentang/#kontak).\n", done > f
      else printf "- Lihat [situs %d](https://www.lapor.go.id/?n=%d).\n", done, done > f
    }
    printf "\n" > f
  }
}'
links=$(grep -c '](' "$WORK/content/layanan/banyak-tautan.md")
echo "One standard with $links links ($(du -h "$WORK/content/layanan/banyak-tautan.md" | cut -f1)), $RUNS runs each"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
time_of() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
for cmd in check build; do
  times=()
  for _ in $(seq "$RUNS"); do
    if [ "$cmd" = check ]; then
      times+=("$(time_of "$LOKET" check --root "$WORK")")
    else
      times+=("$(time_of "$LOKET" build --root "$WORK" --output "$WORK/public")")
    fi
  done
  printf 'loket %-5s median %.3f s  (runs: %s)\n' "$cmd" "$(printf '%s\n' "${times[@]}" | median)" "${times[*]}"
done
