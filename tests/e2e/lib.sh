# lib.sh — helpers for the end-to-end tests. $T is the test's temp dir.
export UNIVEND_PASSPHRASE=e2e-passphrase
uv() { "$UNIVEND" --home "$T/kiosk" "$@"; }

die() { echo "ASSERTION FAILED: $*" >&2; exit 1; }

# expect_rc N cmd... : run, capture output in $OUT, check exit status
expect_rc() {
  local want=$1; shift
  set +e
  OUT=$("$@" 2>&1)
  local rc=$?
  set -e
  [ "$rc" -eq "$want" ] || die "'$*' exited $rc, expected $want; output:
$OUT"
}
# expect_out REGEX : $OUT matches
expect_out() { grep -Eq -- "$1" <<<"$OUT" || die "output lacks /$1/:
$OUT"; }
expect_no_out() { ! grep -Eq -- "$1" <<<"$OUT" || die "output has /$1/:
$OUT"; }

# number of receipts in the kiosk
receipt_count() { uv receipt list | tail -n +2 | wc -l; }

# a demo kiosk: key, sts driver, tariffs, customers, three meters
demo_kiosk() { uv demo >/dev/null; }

# a bare kiosk with a private driver dir ($T/drivers) holding the given files
bare_kiosk() {
  mkdir -p "$T/drivers"
  local f
  for f in "$@"; do cp "$f" "$T/drivers/"; done
  uv init --kdf-iterations 1000 >/dev/null
  echo "driver_dir = $T/drivers" >>"$T/kiosk/univend.conf"
}

# the project's top directory (for tests that build against it)
UV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
