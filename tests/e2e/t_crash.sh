# t_crash.sh — SIGKILL at random moments: 10,000 sales and exports in progress.
#
# Each test prints its own run time and figures (kept in the log).

# A sleep of $1 seconds (fractions allowed) without starting a process.
crash_nap() { read -r -t "$1" -u 9 || true; }
crash_nap_init() { mkfifo "$T/never"; exec 9<>"$T/never"; }

# CRASH_N: the number of lines in file $1 so far (no process started)
crash_count() { local -a l; mapfile -t l <"$1"; CRASH_N=${#l[@]}; }

test_sigkill_10000_sales_every_printed_token_has_its_receipt() {
  local started=$SECONDS total_sales=10000 min_kills=200
  crash_nap_init
  demo_kiosk
  # the sales to make: index, meter, amount (three meters, amounts 10.01..109.99)
  awk -v n="$total_sales" 'BEGIN {
    split("01234567897 04123456784 47160001237", m, " ");
    for (i = 1; i <= n; i++) printf "%d %s %d.%02d\n", i, m[i % 3 + 1], 10 + i % 100, (i * 7) % 100
  }' >"$T/sales"
  : >"$T/confirmed" # index receipt token total: each sale whose line was printed
  local kills=0 runs=0 confirmed=0 at
  while [ "$confirmed" -lt "$total_sales" ]; do
    runs=$((runs + 1))
    [ "$runs" -le 3000 ] || die "no end in sight: $confirmed sales confirmed after $runs runs"
    # the sales not yet confirmed, in order; map: batch line -> sale index
    awk -v inp="$T/in" -v map="$T/map" 'FILENAME == ARGV[1] { done[$1] = 1; next }
      !($1 in done) { print $2, $3 >inp; print $1 >map }' "$T/confirmed" "$T/sales"
    : >"$T/out"
    "$UNIVEND" --home "$T/kiosk" sell --batch "$T/in" >"$T/out" 2>>"$T/err" &
    local pid=$!
    # kill after a random number of printed sales (0: while it opens and
    # recovers), then a random 0-5 ms more: inside the driver call, inside
    # the commit's write and fsync, or between two sales. The mean number
    # of sales per run aims at 40 kills above the floor: on a loaded
    # machine more sales are printed past the mark before the kill lands.
    local left=$((total_sales - confirmed)) kills_left=$((min_kills + 40 - kills))
    [ "$kills_left" -ge 1 ] || kills_left=1
    at=$((RANDOM % (2 * left / kills_left + 1)))
    local polls=0 rc=0
    CRASH_N=0
    while [ "$CRASH_N" -lt "$at" ] && [ "$polls" -lt 2500 ] && kill -0 "$pid" 2>/dev/null; do
      crash_nap 0.002
      crash_count "$T/out"
      polls=$((polls + 1))
    done
    crash_nap "0.00$((RANDOM % 6))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || rc=$?
    if [ "$rc" -eq 137 ]; then kills=$((kills + 1)); fi
    # a line is printed once it is whole; each maps back to its sale
    if [ -s "$T/out" ] && [ -n "$(tail -c1 "$T/out")" ]; then
      sed -i '$d' "$T/out" # a last line cut short: not printed
    fi
    grep -v '^ok ' "$T/out" | grep . && die "a sale was refused"
    awk 'FILENAME == ARGV[1] { idx[FNR] = $1; next }
      $1 == "ok" { print idx[$2], $4, $10, $8 }' "$T/map" "$T/out" >>"$T/confirmed"
    confirmed=$(wc -l <"$T/confirmed")
  done
  echo "# sales: $total_sales confirmed in $runs runs, $kills SIGKILLs"
  [ "$kills" -ge "$min_kills" ] || die "only $kills kills (at least $min_kills wanted)"
  [ "$(awk '{print $1}' "$T/confirmed" | sort | uniq -d | wc -l)" -eq 0 ] || die "a sale confirmed twice"

  # reopening runs recovery; the store must be whole
  expect_rc 0 uv store verify
  expect_out "hash chain intact"
  expect_out "audit: [0-9]+ records, chain intact"
  local verify_total
  verify_total=$(sed -n 's/^receipts total: \([0-9.]*\) .*/\1/p' <<<"$OUT")
  uv receipt list | tail -n +2 | awk '{print $1, $6, $8}' | sort -n >"$T/receipts"
  local n
  n=$(wc -l <"$T/receipts")
  # numbered 1..n without a gap, and no token on two receipts
  [ "$(awk '$1 != NR' "$T/receipts" | wc -l)" -eq 0 ] || die "receipt numbers have a gap"
  [ "$(awk '{print $3}' "$T/receipts" | sort | uniq -d | wc -l)" -eq 0 ] || die "a token is on two receipts"
  # printed => stored: every printed sale has its receipt, same token, same total
  awk 'FILENAME == ARGV[1] { tok[$1] = $3; paid[$1] = $2; next }
    !($2 in tok) { print "printed receipt " $2 " is missing"; bad = 1 }
    ($2 in tok) && (tok[$2] != $3 || paid[$2] != $4) {
      print "receipt " $2 " differs from what was printed"; bad = 1 }
    END { exit bad }' "$T/receipts" "$T/confirmed" || die "a printed sale is not as stored"
  [ "$(awk '{print $2}' "$T/confirmed" | sort | uniq -d | wc -l)" -eq 0 ] \
    || die "two printed sales share a receipt"
  # The converse does not hold, and must not be asserted: a sale killed
  # after its commit but before its line was printed has a receipt and no
  # printed line (the clerk saw no token and sold again). That window is
  # once per kill at most, so the unprinted receipts are at most the kills.
  local extra=$((n - total_sales))
  echo "# receipts: $n ($extra committed but killed before printing)"
  [ "$extra" -ge 0 ] && [ "$extra" -le "$kills" ] || die "$extra unprinted receipts for $kills kills"
  # totals: store verify's chain total = printed totals + the unprinted receipts
  local want
  want=$(awk 'FILENAME == ARGV[1] { printed[$2] = 1; s += $4 * 100; next }
    !($1 in printed) { s += $2 * 100 } END { printf "%.2f", s / 100 }' "$T/confirmed" "$T/receipts")
  [ "$verify_total" = "$want" ] || die "store verify total $verify_total, printed sales make $want"
  # and the kiosk sells on, with the next number
  expect_rc 0 uv sell --meter 01234567897 --amount 11.00
  expect_out "^Receipt +$((n + 1)) "
  echo "# time: $((SECONDS - started)) s"
}

# Every file under a final name in $T/usb is one the kiosk has recorded
# (export list: its name and hash), whole (it verifies at head office) and
# never replaced by another with its sequence number: each file is checked
# when it appears or its inode, time or size changes.
crash_check_shown() {
  local name ino rest h list=""
  while read -r name ino rest; do
    [ "${stat[$name]:-}" = "$ino $rest" ] && continue
    stat[$name]="$ino $rest"
    h=$(sha256sum <"$T/usb/$name" | cut -c1-64)
    if [ -z "${seen[$name]:-}" ]; then seen[$name]=$h
    elif [ "${seen[$name]}" != "$h" ]; then die "$name changed after it was shown"; fi
    [ -n "$list" ] || list=$(uv export list)
    grep -q " $name .* ${h:0:16}" <<<"$list" || die "$name is shown but the kiosk has not recorded it:
$list"
  done < <(cd "$T/usb" && stat -c '%n %i %Y.%y %s' -- *.uvx 2>/dev/null)
}

test_sigkill_during_exports_never_shows_a_partial_or_changed_file() {
  local started=$SECONDS kills_wanted=100
  crash_nap_init
  demo_kiosk
  mkdir -p "$T/usb"
  awk 'BEGIN { split("01234567897 04123456784 47160001237", m, " ");
    for (i = 1; i <= 2500; i++) printf "%s %d.%02d\n", m[i % 3 + 1], 10 + i % 50, i % 100 }' >"$T/in"
  expect_rc 0 uv sell --batch "$T/in"
  # how long the first (large) export takes: on a copy of the kiosk
  cp -a "$T/kiosk" "$T/copy"
  mkdir -p "$T/copy-usb"
  local t0 t1 span
  t0=$(date +%s%N)
  "$UNIVEND" --home "$T/copy" export --dir "$T/copy-usb" >/dev/null
  t1=$(date +%s%N)
  span=$(((t1 - t0) / 1000000 + 1)) # ms
  local span0=$span
  rm -rf "$T/copy" "$T/copy-usb"
  local kills=0 runs=0 rc d after_commit=0 name
  declare -A seen=() stat=() # final file name -> SHA-256 when first shown; inode, time, size
  while [ "$kills" -lt "$kills_wanted" ]; do
    runs=$((runs + 1))
    [ "$runs" -le 1000 ] || die "only $kills kills in $runs exports"
    "$UNIVEND" --home "$T/kiosk" export --dir "$T/usb" >/dev/null 2>>"$T/err" &
    local pid=$!
    # anywhere from the start (opening, recovery) to just past the end
    # (the commit, the rename); half the kills in the last fifth
    if [ $((RANDOM % 2)) -eq 0 ]; then d=$((RANDOM % (span * 13 / 10 + 1)))
    else d=$((span * 8 / 10 + RANDOM % (span / 2 + 1))); fi
    crash_nap "$((d / 1000)).$(printf %03d $((d % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    if [ "$rc" -eq 137 ]; then kills=$((kills + 1)); else [ "$rc" -eq 0 ] || die "export failed ($rc)"; fi
    if [ "$rc" -eq 0 ]; then span=$((span * 3 / 4 + 5)); fi # small exports now: kill sooner
    crash_check_shown
    # killed between the commit and the rename: the recorded file waits
    # under its temporary name, and the next export puts it in place
    local tmpf
    for tmpf in "$T/usb"/.univend-export-*; do
      [ -e "$tmpf" ] || continue
      name=${tmpf##*/.univend-export-}
      name=${name%.*}
      if [ ! -e "$T/usb/$name" ] && uv export list | grep -q " $name "; then
        after_commit=$((after_commit + 1))
      fi
    done
  done
  echo "# exports: $runs runs, $kills SIGKILLs (first export ${span0} ms), ${#seen[@]} files shown"
  echo "# kills between an export's commit and its rename: $after_commit"
  # one export to the end: no temporary file is left
  expect_rc 0 uv export --dir "$T/usb"
  [ -z "$(ls -A "$T/usb" | grep -v '^univend-DEMO-1-[0-9]*\.uvx$')" ] || die "stray files: $(ls -A "$T/usb")"
  crash_check_shown
  expect_rc 0 uv store verify
  local total
  total=$(sed -n 's/^receipts total: \([0-9.]*\) .*/\1/p' <<<"$OUT")
  # the sequence has no gap and every file is on the medium
  local nseq
  nseq=$(uv export list | wc -l)
  [ "$(ls "$T/usb"/*.uvx | wc -l)" -eq "$nseq" ] || die "$nseq exports recorded, $(ls "$T/usb" | wc -l) files"
  # head office takes every file and has every receipt exactly once
  UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq" init --kiosk-id HQ --kdf-iterations 1000 >/dev/null
  "$UNIVEND" --home "$T/hq" hq kiosk add DEMO-1 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  expect_rc 0 "$UNIVEND" --home "$T/hq" import "$T/usb"
  expect_out "$nseq files: $nseq imported, 0 already imported, 0 refused; 2500 receipts"
  expect_rc 0 "$UNIVEND" --home "$T/hq" hq missing
  expect_out "no files missing"
  "$UNIVEND" --home "$T/hq" hq export-csv --out "$T/billing.csv"
  [ "$(tail -n +2 "$T/billing.csv" | cut -d, -f2 | sort -n | uniq | wc -l)" -eq 2500 ] \
    || die "head office does not have receipts 1..2500 once each"
  [ "$(tail -n +2 "$T/billing.csv" | awk -F, '{ s += $9 } END { printf "%.2f", s / 100 }')" = "$total" ] \
    || die "head office total differs from the kiosk's $total"
  echo "# time: $((SECONDS - started)) s"
}

test_export_killed_after_its_commit_is_put_in_place_by_the_next() {
  demo_kiosk
  mkdir -p "$T/usb"
  uv sell --meter 01234567897 --amount 20.00 >/dev/null
  expect_rc 0 uv export --dir "$T/usb"
  local f1="$T/usb/univend-DEMO-1-00000001.uvx" h1
  h1=$(sha256sum <"$f1")
  # the state a kill between the commit and the rename leaves
  mv "$f1" "$T/usb/.univend-export-univend-DEMO-1-00000001.uvx.4242"
  expect_rc 0 uv export --dir "$T/usb"
  expect_out "sequence 2"
  [ "$(sha256sum <"$f1")" = "$h1" ] || die "export 1 was not put back as recorded"
  [ -z "$(ls -A "$T/usb" | grep '^\.')" ] || die "a temporary file was left"
  # a temporary file that is not what was recorded is removed, never shown
  mv "$T/usb/univend-DEMO-1-00000002.uvx" "$T/usb/.univend-export-univend-DEMO-1-00000002.uvx.4243"
  printf 'x' >>"$T/usb/.univend-export-univend-DEMO-1-00000002.uvx.4243"
  expect_rc 0 uv export --dir "$T/usb"
  expect_out "sequence 3"
  [ ! -e "$T/usb/univend-DEMO-1-00000002.uvx" ] || die "a damaged temporary file was shown"
  [ -z "$(ls -A "$T/usb" | grep '^\.')" ] || die "a temporary file was left"
  expect_rc 0 uv export --rewrite 2 --dir "$T/usb"
  [ -e "$T/usb/univend-DEMO-1-00000002.uvx" ] || die "export 2 not rewritten"
}
