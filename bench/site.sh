#!/usr/bin/env bash
# Site build benchmark: loket against Hugo, and Zola when a ZOLA binary is given, on the
# same generated standards.
#
# Generates N realistic service standards (default sizes 1000 and 10000) and builds them
# with `loket build`, with Hugo and with Zola (each an equivalent minimal layout: page
# with facts, table of contents, mailto button and the standard as JSON; home list;
# sitemap). Each size gets one warm-up build per tool, then RUNS rounds in which the
# tools run one after the other (alternating, so that load from elsewhere on the machine
# hits all alike). It prints per tool the median wall time and the median peak RSS, and
# the ratios loket/Hugo and loket/Zola of the wall times. It also prints the median CPU
# time (user + system, all threads): on a machine shared with other work the wall time
# varies a lot more than the CPU time does.
#
# Time and peak RSS of a build come from wait4(2) of that one process: its rusage
# ru_maxrss (in KiB), read by a few lines of Python (os.wait4); python3 is needed. A
# build that fails stops the benchmark: a failed build is not a fast one.
#
# Zola writes JSON per page only as an output format of its own, which it does not have:
# its page template embeds the same JSON (front matter and body) in the HTML page,
# so it does the encoding work but writes one file fewer per standard than the others.
# loket also writes each standard's poster page (two QR codes), which the others do not.
#
# Usage: bench/site.sh [SIZE...]
#   env: RUNS (default 5); LOKET (a loket binary; default: built here in release mode,
#   in CARGO_TARGET_DIR or target/); ZOLA (a zola binary; without it Zola is left out);
#   HUGO (default: hugo on PATH, installed from Debian when missing); WORK (default: a
#   temp dir in /dev/shm when it exists, so that disk latency, which varies a lot on
#   shared virtual disks, does not drown the tools' own work; set WORK to measure on a
#   real disk); KEEP=1 keeps WORK.
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

command -v python3 >/dev/null || { echo "bench/site.sh needs python3 (for wait4 rusage)" >&2; exit 1; }
HUGO=${HUGO:-$(command -v hugo || true)}
if [ -z "$HUGO" ]; then
  echo "Installing hugo (Debian package)…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null
  HUGO=$(command -v hugo)
fi
if [ -z "${LOKET:-}" ]; then
  cargo build --release --quiet --bin loket
  LOKET=${CARGO_TARGET_DIR:-$ROOT/target}/release/loket
fi
ZOLA=${ZOLA:-}
if [ -n "$ZOLA" ] && ! "$ZOLA" --version >/dev/null 2>&1; then
  echo "ZOLA=$ZOLA does not run" >&2; exit 1
fi

# Writes N standards into $1 (a content folder) with awk: one process, not N.
generate() {
  local dir=$1 n=$2 flavour=${3:-loket}
  mkdir -p "$dir"
  awk -v dir="$dir" -v n="$n" -v flavour="$flavour" 'BEGIN {
    terms[0] = "20m"; terms[1] = "1h"; terms[2] = "2 working days"; terms[3] = "45m"
    labels[0] = "20 menit"; labels[1] = "1 jam"; labels[2] = "2 hari kerja"; labels[3] = "45 menit"
    fees[0] = 0; fees[1] = 0; fees[2] = 50000; fees[3] = 0
    topics[0] = "Pencairan Dana"; topics[1] = "Rekonsiliasi"; topics[2] = "Konsultasi"
    topics[3] = "Penerbitan SP2D"; topics[4] = "Pengembalian Belanja"; topics[5] = "Retur SP2D"
    for (i = 1; i <= n; i++) {
      f = sprintf("%s/layanan-%05d.md", dir, i)
      t = i % 4; topic = topics[i % 6]
      printf "+++\ntitle = \"Layanan %s %d\"\n", topic, i > f
      # Zola takes only its own keys at the top, the others under [extra].
      if (flavour == "zola") printf "updated = 2026-11-%02d\nweight = %d\n[extra]\n", (i % 28) + 1, i > f
      printf "code = \"G%05d\"\nsk = \"KEP-%d/PB/2023\"\n", i, i > f
      printf "completion = \"%s\"\nescalation = \"3 working days\"\nfee = %d\n", terms[t], fees[t] > f
      printf "channels = [\"tatap-muka\", \"email\"]\nsummary = \"Layanan %s bagi satuan kerja mitra KPPN, nomor %d.\"\n", topic, i > f
      if (flavour != "zola") printf "updated = 2026-11-%02d\nweight = %d\n", (i % 28) + 1, i > f
      printf "+++\n\n" > f
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

# Same content for Zola (front matter adapted by `generate … zola`), same layout.
zola_site() {
  local dir=$1
  mkdir -p "$dir/templates" "$dir/static" "$dir/content/layanan"
  cp "$ROOT/themes/default/static/"* "$dir/static/"
  cat > "$dir/config.toml" <<'TOML'
base_url = "https://layanan.kppn-tanjungselor.example"
default_language = "id"
title = "Standar Pelayanan KPPN Tanjung Selor"
compile_sass = false
build_search_index = false
generate_feeds = false
[markdown]
TOML
  cat > "$dir/content/_index.md" <<'MD'
+++
title = "Standar Pelayanan"
+++
MD
  cat > "$dir/content/layanan/_index.md" <<'MD'
+++
title = "Layanan"
sort_by = "weight"
+++
MD
  cat > "$dir/templates/base.html" <<'HTML'
<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock title %} · KPPN Tanjung Selor</title><link rel="stylesheet" href="/style.css"><link rel="canonical" href="{{ current_url | default(value="/") }}"></head>
<body><a class="skip" href="#isi">Langsung ke isi utama</a><header class="kop"><p class="kantor"><a href="/">Kantor Pelayanan Perbendaharaan Negara Tipe A1 Tanjung Selor</a></p>
<nav class="menu"><ul><li><a href="/">Beranda</a></li></ul></nav></header><main id="isi">{% block main %}{% endblock main %}</main>
<footer class="kaki"><address>Jl. Soetoyo No. 1, Tanjung Selor 77214</address></footer></body></html>
HTML
  cat > "$dir/templates/page.html" <<'HTML'
{% extends "base.html" %}{% block title %}{{ page.title }}{% endblock title %}
{% block main %}<article><h1>{{ page.title }}</h1><p>{{ page.extra.summary }}</p>
<dl class="fakta"><dt>Nomor SK</dt><dd>{{ page.extra.sk }}</dd><dt>Waktu penyelesaian</dt><dd>{{ page.extra.completion }}</dd><dt>Biaya</dt><dd>{{ page.extra.fee }}</dd><dt>Terakhir diperbarui</dt><dd>{{ page.updated }}</dd></dl>
<p><a class="tombol" href="mailto:layanan@kppn-tanjungselor.example?subject=%5B{{ page.extra.code }}%5D%20">Ajukan pertanyaan lewat email</a></p>
<nav class="daftar-isi"><ul>{% for h in page.toc %}<li><a href="#{{ h.id }}">{{ h.title }}</a>{% if h.children %}<ul>{% for c in h.children %}<li><a href="#{{ c.id }}">{{ c.title }}</a></li>{% endfor %}</ul>{% endif %}</li>{% endfor %}</ul></nav>
<div class="isi">{{ page.content | safe }}</div></article>
<script type="application/json">{"title": {{ page.title | json_encode | safe }}, "updated": {{ page.updated | json_encode | safe }}, "extra": {{ page.extra | json_encode | safe }}, "html": {{ page.content | json_encode | safe }}}</script>{% endblock main %}
HTML
  local listing='<ul class="layanan">{% for p in s.pages %}<li><h3><a href="{{ p.path }}">{{ p.title }}</a></h3><p>{{ p.extra.summary }}</p><dl><dt>Waktu penyelesaian</dt><dd>{{ p.extra.completion }}</dd><dt>Biaya</dt><dd>{{ p.extra.fee }}</dd></dl></li>{% endfor %}</ul>'
  printf '%s\n' '{% extends "base.html" %}{% block title %}{{ section.title }}{% endblock title %}' \
    "{% block main %}<h1>{{ section.title }}</h1>{% set s = section %}$listing{% endblock main %}" > "$dir/templates/section.html"
  printf '%s\n' '{% extends "base.html" %}{% block title %}Standar Pelayanan{% endblock title %}' \
    "{% block main %}<h1>Standar Pelayanan</h1>{% set s = get_section(path=\"layanan/_index.md\") %}$listing{% endblock main %}" > "$dir/templates/index.html"
  printf '%s\n' '{% extends "base.html" %}{% block title %}404{% endblock title %}{% block main %}<h1>Halaman tidak ditemukan</h1>{% endblock main %}' > "$dir/templates/404.html"
}

# Runs one command, output discarded; prints "wall_seconds peak_rss_kib cpu_seconds" (CPU:
# user + system, all threads) from its wait4 rusage.
# A failing command stops the benchmark, with its output.
measure() {
  python3 - "$@" <<'PY'
import os, subprocess, sys, tempfile, time
log = tempfile.TemporaryFile()
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=log, stderr=subprocess.STDOUT)
_, status, usage = os.wait4(child.pid, 0)
elapsed = time.perf_counter() - start
child.returncode = 0  # reaped above
if status != 0:
    log.seek(0)
    sys.stderr.write(log.read().decode(errors="replace"))
    sys.exit(f"failed ({status}): {' '.join(sys.argv[1:])}")
print(f"{elapsed:.4f} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime:.4f}")
PY
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
files() { find "$1" -type f | wc -l; }

TOOLS=(loket hugo)
[ -n "$ZOLA" ] && TOOLS+=(zola)
build_cmd() {
  case $1 in
    loket) echo "$LOKET" build --root "$WORK/loket-$2" --output "$WORK/out-loket" ;;
    hugo) echo "$HUGO" --quiet -s "$WORK/hugo-$2" -d "$WORK/out-hugo" --cleanDestinationDir ;;
    zola) echo "$ZOLA" --root "$WORK/zola-$2" build --output-dir "$WORK/out-zola" --force ;;
  esac
}

versions="loket $("$LOKET" --version | cut -d' ' -f2), hugo $("$HUGO" version | cut -d' ' -f2)"
[ -n "$ZOLA" ] && versions+=", $("$ZOLA" --version)"
echo "$versions; $(nproc) cores; $RUNS alternating runs, medians; RSS = peak from wait4 rusage; in $WORK" >&2
header="pages"
for t in "${TOOLS[@]}"; do header+=" ${t}_s ${t}_cpu ${t}_MB"; done
header+=" loket/hugo"
[ -n "$ZOLA" ] && header+=" loket/zola"
echo "$header" | awk '{ for (i = 1; i <= NF; i++) printf "%-11s", $i; print "" }'
for n in "${SIZES[@]}"; do
  site=$WORK/loket-$n
  mkdir -p "$site"
  cp "$ROOT/site.toml" "$site/"
  cp -r "$ROOT/themes" "$ROOT/data" "$site/"
  generate "$site/content/layanan" "$n"
  cp "$ROOT/content/_index.md" "$ROOT/content/tentang.md" "$site/content/"
  # The shipped about page links to the real standard; keep it valid.
  cp "$ROOT/content/layanan/konsultasi-stakeholder.md" "$site/content/layanan/"

  hugo_site "$WORK/hugo-$n"
  mkdir -p "$WORK/hugo-$n/content"
  cp -r "$site/content/layanan" "$WORK/hugo-$n/content/"
  if [ -n "$ZOLA" ]; then
    zola_site "$WORK/zola-$n"
    generate "$WORK/zola-$n/content/layanan" "$n" zola
  fi

  # One warm-up each (page cache, and a check that each builds every standard).
  for t in "${TOOLS[@]}"; do
    # shellcheck disable=SC2046
    measure $(build_cmd "$t" "$n") >/dev/null
    echo "  $t wrote $(files "$WORK/out-$t") files for $n standards" >&2
  done
  for t in "${TOOLS[@]}"; do : > "$WORK/m-$t"; done
  for _ in $(seq "$RUNS"); do
    for t in "${TOOLS[@]}"; do
      # shellcheck disable=SC2046
      measure $(build_cmd "$t" "$n") >> "$WORK/m-$t"
    done
  done
  row="$n"
  declare -A secs=()
  for t in "${TOOLS[@]}"; do
    secs[$t]=$(cut -d' ' -f1 < "$WORK/m-$t" | median)
    cpu=$(cut -d' ' -f3 < "$WORK/m-$t" | median)
    mb=$(cut -d' ' -f2 < "$WORK/m-$t" | median | awk '{ printf "%.1f", $1 / 1024 }')
    row+=" $(printf '%.3f %.3f' "${secs[$t]}" "$cpu") $mb"
  done
  row+=" $(awk -v l="${secs[loket]}" -v o="${secs[hugo]}" 'BEGIN { printf "%.2f", l / o }')"
  [ -n "$ZOLA" ] && row+=" $(awk -v l="${secs[loket]}" -v o="${secs[zola]}" 'BEGIN { printf "%.2f", l / o }')"
  echo "$row" | awk '{ for (i = 1; i <= NF; i++) printf "%-11s", $i; print "" }'
done
