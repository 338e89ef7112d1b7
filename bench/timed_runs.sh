# Sourced by bench/perf.sh and bench/pack.sh: times a command with GNU
# `time -v` after one untimed warm-up run (so it reads its input from the
# page cache), removing its output and running `sync` before each run,
# outside the timing. Needs $runs, $out and $logs set by the caller; records
# "label TAB command" in $out/commands.tsv and each run in
# $logs/LABEL.N.time (LABEL.warmup.time for the warm-up).
bench_cmd() {  # label outdir cmd...
  local label="$1" dest="$2"; shift 2
  printf '%s\t%s\n' "$label" "$*" >> "$out/commands.tsv"
  echo "== $label: $* (warm-up + $runs runs)" >&2
  for i in $(seq 0 "$runs"); do
    rm -rf "$dest"
    sync
    local f="$logs/$label.$i.time"
    [ "$i" = 0 ] && f="$logs/$label.warmup.time"
    if ! /usr/bin/time -v -o "$f" "$@" > "$logs/$label.log" 2>&1; then
      echo "$(basename "$0"): $label failed, see $logs/$label.log" >&2
      cat "$logs/$label.log" >&2
      exit 1
    fi
  done
}
