# Helpers the bench scripts share; sourced, not run.

# Runs a command, prints "seconds peak_rss_kib".
measure() {
  local stats
  stats=$(mktemp)
  /usr/bin/time -o "$stats" -f "%e %M" bash -c "$1" > /dev/null 2>&1 || true
  tail -n 1 "$stats"
  rm -f "$stats"
}

# Keeps the fastest run ("seconds peak_rss_kib") of two; the first may be empty.
faster() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); print (a == "" || y[1] < x[1]) ? b : a }'; }

# The median of the numbers in a space-separated list.
median() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
