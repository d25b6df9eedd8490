#!/usr/bin/env bash
# Site build benchmark: loket against Hugo on the same generated standards.
#
# Generates N realistic service standards (default sizes 1000 and 10000), builds them
# with `loket build` and with Hugo (an equivalent minimal layout: page with facts, table
# of contents, mailto button and JSON output; home list; sitemap), RUNS times each, and
# prints both medians and the ratio loket/Hugo.
#
# Usage: bench/site.sh [SIZE...]      env: RUNS (default 5), WORK (default: a temp dir in
# /dev/shm when it exists, so that disk latency, which varies a lot on shared virtual
# disks, does not drown the tools' own work; set WORK to measure on a real disk).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000)
if [ -z "${WORK:-}" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then WORK=$(mktemp -d -p /dev/shm); else WORK=$(mktemp -d); fi
fi
mkdir -p "$WORK"
trap '[ -z "${KEEP:-}" ] && rm -rf "$WORK"' EXIT

if ! command -v hugo >/dev/null; then
  echo "Installing hugo (Debian package)…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null
fi

cargo build --release --quiet --bin loket
LOKET=$ROOT/target/release/loket

# Writes N standards into $1 (a content folder) with awk: one process, not N.
generate() {
  local dir=$1 n=$2
  mkdir -p "$dir"
  awk -v dir="$dir" -v n="$n" 'BEGIN {
    terms[0] = "20m"; terms[1] = "1h"; terms[2] = "2 working days"; terms[3] = "45m"
    labels[0] = "20 menit"; labels[1] = "1 jam"; labels[2] = "2 hari kerja"; labels[3] = "45 menit"
    fees[0] = 0; fees[1] = 0; fees[2] = 50000; fees[3] = 0
    topics[0] = "Pencairan Dana"; topics[1] = "Rekonsiliasi"; topics[2] = "Konsultasi"
    topics[3] = "Penerbitan SP2D"; topics[4] = "Pengembalian Belanja"; topics[5] = "Retur SP2D"
    for (i = 1; i <= n; i++) {
      f = sprintf("%s/layanan-%05d.md", dir, i)
      t = i % 4; topic = topics[i % 6]
      printf "+++\ntitle = \"Layanan %s %d\"\ncode = \"G%05d\"\nsk = \"KEP-%d/PB/2023\"\n", topic, i, i, i > f
      printf "completion = \"%s\"\nescalation = \"3 working days\"\nfee = %d\n", terms[t], fees[t] > f
      printf "channels = [\"tatap-muka\", \"email\"]\nsummary = \"Layanan %s bagi satuan kerja mitra KPPN, nomor %d.\"\n", topic, i > f
      printf "updated = 2026-11-%02d\nweight = %d\n+++\n\n", (i % 28) + 1, i > f
      printf "## Persyaratan\n\n" > f
      for (k = 1; k <= 3; k++)
        printf "%d. Dokumen persyaratan ke-%d untuk layanan %s yang disampaikan oleh satuan kerja secara langsung atau melalui aplikasi.\n", k, k, topic > f
      printf "\n## Sistem, Mekanisme dan Prosedur\n\n### Tatap muka\n\n" > f
      for (k = 1; k <= 6; k++)
        printf "%d. Petugas layanan/pegawai CSO melaksanakan tahap ke-%d: menerima, mengidentifikasi, dan menindaklanjuti permohonan sesuai peraturan/juknis terkait;\n", k, k > f
      printf "\n### Online\n\n" > f
      for (k = 1; k <= 6; k++)
        printf "%d. Stakeholder atau petugas melaksanakan tahap ke-%d melalui HAI CSO atau kontak resmi KPPN, dengan *progres* disampaikan secara berkala;\n", k, k > f
      printf "\n## Jangka Waktu Penyelesaian\n\n%s per satu jenis layanan.\n\n", labels[t] > f
      printf "## Biaya/Tarif\n\n%s\n\n", (fees[t] == 0 ? "Tidak dipungut biaya." : "Sesuai tarif PNBP yang berlaku.") > f
      printf "## Produk Pelayanan\n\n1. Tanggapan dengan status \"Resolved\".\n2. Dokumen hasil layanan %s.\n\n", topic > f
      printf "## Penanganan Pengaduan, Saran dan Masukan\n\n1. SP4N-LAPOR: <https://www.lapor.go.id/>\n2. WISE: <https://wise.kemenkeu.go.id/>\n3. Kontak resmi KPPN.\n" > f
      close(f)
    }
  }'
}

# Same content for Hugo, with a layout that renders the same things.
hugo_site() {
  local dir=$1
  mkdir -p "$dir/layouts/_default" "$dir/static"
  cp "$ROOT/themes/default/static/"* "$dir/static/"
  cat > "$dir/config.toml" <<'TOML'
baseURL = "https://layanan.kppn-tanjungselor.example/"
languageCode = "id"
title = "Standar Pelayanan KPPN Tanjung Selor"
disableKinds = ["taxonomy", "term", "RSS"]
[outputs]
page = ["HTML", "JSON"]
[markup.tableOfContents]
startLevel = 2
endLevel = 3
TOML
  cat > "$dir/layouts/_default/baseof.html" <<'HTML'
<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · KPPN Tanjung Selor</title><link rel="stylesheet" href="/style.css"><link rel="canonical" href="{{ .Permalink }}"></head>
<body><a class="skip" href="#isi">Langsung ke isi utama</a><header class="kop"><p class="kantor"><a href="/">Kantor Pelayanan Perbendaharaan Negara Tipe A1 Tanjung Selor</a></p>
<nav class="menu"><ul><li><a href="/">Beranda</a></li></ul></nav></header><main id="isi">{{ block "main" . }}{{ end }}</main>
<footer class="kaki"><address>Jl. Soetoyo No. 1, Tanjung Selor 77214</address></footer></body></html>
HTML
  cat > "$dir/layouts/_default/single.html" <<'HTML'
{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Params.summary }}</p>
<dl class="fakta"><dt>Nomor SK</dt><dd>{{ .Params.sk }}</dd><dt>Waktu penyelesaian</dt><dd>{{ .Params.completion }}</dd><dt>Biaya</dt><dd>{{ .Params.fee }}</dd><dt>Terakhir diperbarui</dt><dd>{{ .Params.updated }}</dd></dl>
<p><a class="tombol" href="mailto:layanan@kppn-tanjungselor.example?subject=%5B{{ .Params.code }}%5D%20">Ajukan pertanyaan lewat email</a></p>
<nav class="daftar-isi">{{ .TableOfContents }}</nav><div class="isi">{{ .Content }}</div></article>{{ end }}
HTML
  cat > "$dir/layouts/_default/single.json" <<'JSON'
{{ dict "title" .Title "code" .Params.code "sk" .Params.sk "completion" .Params.completion "fee" .Params.fee "channels" .Params.channels "summary" .Params.summary "updated" .Params.updated "markdown" .RawContent | jsonify }}
JSON
  cat > "$dir/layouts/_default/list.html" <<'HTML'
{{ define "main" }}<h1>{{ .Title }}</h1><ul class="layanan">{{ range .Site.RegularPages }}<li><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3><p>{{ .Params.summary }}</p><dl><dt>Waktu penyelesaian</dt><dd>{{ .Params.completion }}</dd><dt>Biaya</dt><dd>{{ .Params.fee }}</dd></dl></li>{{ end }}</ul>{{ end }}
HTML
  cat > "$dir/layouts/index.html" <<'HTML'
{{ define "main" }}<h1>Standar Pelayanan</h1><ul class="layanan">{{ range .Site.RegularPages }}<li><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3><p>{{ .Params.summary }}</p><dl><dt>Waktu penyelesaian</dt><dd>{{ .Params.completion }}</dd><dt>Biaya</dt><dd>{{ .Params.fee }}</dd></dl></li>{{ end }}</ul>{{ end }}
HTML
  cat > "$dir/layouts/404.html" <<'HTML'
{{ define "main" }}<h1>Halaman tidak ditemukan</h1>{{ end }}
HTML
  printf 'User-agent: *\nAllow: /\n' > "$dir/static/robots.txt"
}

# Wall time of one command in seconds (output discarded).
timed() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "loket $("$LOKET" --version | cut -d' ' -f2), $(hugo version | cut -d' ' -f2), $(nproc) cores, $RUNS runs, in $WORK" >&2
printf '%-8s %-12s %-12s %-8s\n' pages loket_s hugo_s ratio
for n in "${SIZES[@]}"; do
  site=$WORK/loket-$n
  mkdir -p "$site"
  cp "$ROOT/site.toml" "$site/"
  cp -r "$ROOT/themes" "$site/"
  generate "$site/content/layanan" "$n"
  cp "$ROOT/content/_index.md" "$ROOT/content/tentang.md" "$site/content/"
  # The shipped about page links to the real standard; keep it valid.
  cp "$ROOT/content/layanan/konsultasi-stakeholder.md" "$site/content/layanan/"

  hsite=$WORK/hugo-$n
  hugo_site "$hsite"
  mkdir -p "$hsite/content"
  cp -r "$site/content/layanan" "$hsite/content/"

  # One warm-up each (page cache), then RUNS timed builds.
  "$LOKET" build --root "$site" --output "$WORK/out-loket" >/dev/null 2>&1
  hugo --quiet -s "$hsite" -d "$WORK/out-hugo" --cleanDestinationDir >/dev/null 2>&1
  # Alternate the two tools so that load from elsewhere on the machine hits both alike.
  : > "$WORK/t-loket"; : > "$WORK/t-hugo"
  for _ in $(seq "$RUNS"); do
    timed "$LOKET" build --root "$site" --output "$WORK/out-loket" >> "$WORK/t-loket"
    timed hugo --quiet -s "$hsite" -d "$WORK/out-hugo" --cleanDestinationDir >> "$WORK/t-hugo"
  done
  l=$(median < "$WORK/t-loket")
  h=$(median < "$WORK/t-hugo")
  printf '%-8s %-12.3f %-12.3f %-8.2f\n' "$n" "$l" "$h" "$(awk -v l="$l" -v h="$h" 'BEGIN { print l / h }')"
done
