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

# The test head office ($T/head-office): its store and signing key, made on
# first use. sign_drivers [--broken] FILE... : head office signs each driver
# file (FILE.sig beside it, by 'univend driver sign') and the kiosk trusts
# its key as TEST-HQ. --broken signs files head office cannot run (the
# deliberately broken drivers) with a stated name, version and code, as it
# signs a driver built for another processor; their own defect is then what
# the kiosk refuses them for.
head_office() { "$UNIVEND" --home "$T/head-office" "$@"; }
sign_drivers() {
  local f broken=
  if [ "${1:-}" = --broken ]; then broken=1; shift; fi
  if [ ! -f "$T/head-office/univend.conf" ]; then
    head_office init --kiosk-id TEST-HQ --kdf-iterations 1000 >/dev/null
    head_office hq keygen >/dev/null
  fi
  if ! uv trust list | grep -q '^TEST-HQ '; then
    uv trust add TEST-HQ "$(head_office hq pubkey)" >/dev/null
  fi
  for f in "$@"; do
    if [ -n "$broken" ]; then
      head_office driver sign "$f" --name broken --version 0 --codes TST-X1 >/dev/null
    else
      head_office driver sign "$f" >/dev/null
    fi
  done
}

# register_signed FILE: register a driver of the build's driver directory
# (e.g. on a demo kiosk) with the test head office's signature, kept apart
# in $T/sigs
register_signed() {
  mkdir -p "$T/sigs"
  sign_drivers
  head_office driver sign "$UNIVEND_DRIVERS/$1" --out "$T/sigs/$1.sig" >/dev/null
  uv driver register "$1" --signature "$T/sigs/$1.sig" >/dev/null
}

# a bare kiosk with a private driver dir ($T/drivers) holding the given
# driver files, each signed by the test head office
bare_kiosk() {
  mkdir -p "$T/drivers"
  local f
  for f in "$@"; do cp "$f" "$T/drivers/"; done
  uv init --kdf-iterations 1000 --credit-required no >/dev/null
  echo "driver_dir = $T/drivers" >>"$T/kiosk/univend.conf"
  for f in "$@"; do sign_drivers "$T/drivers/$(basename "$f")"; done
}

# the project's top directory (for tests that build against it)
UV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Head office for the tests: $HQ_HOME (default $T/hq), made on first use,
# with its signing key; the kiosk in $T/kiosk trusts it (under the name
# $HQ_TRUST_NAME, default HQ-MAIN) and is registered there.
hq_cli() { UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "${HQ_HOME:-$T/hq}" "$@"; }
hq_for_kiosk() {
  local kid
  kid=$(sed -n 's/^kiosk_id = //p' "$T/kiosk/univend.conf")
  [ -f "${HQ_HOME:-$T/hq}/univend.conf" ] ||
    hq_cli init --kiosk-id HQ --kdf-iterations 1000 --credit-required no >/dev/null
  hq_cli hq pubkey >/dev/null 2>&1 || hq_cli hq keygen >/dev/null
  local name=${HQ_TRUST_NAME:-HQ-MAIN}
  uv trust list | grep -q "^$name " || uv trust add "$name" "$(hq_cli hq pubkey)" >/dev/null
  hq_cli hq kiosk list | grep -q "^$kid " ||
    hq_cli hq kiosk add "$kid" --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  echo "$kid"
}
# grant_credit ID MONEY_MINOR ENERGY_WH EXPIRES_UNIX [WARN_MINOR WARN_WH]:
# head office sends a vending credit grant to $T/kiosk in a signed
# instruction file, and the kiosk applies it
grant_credit() {
  local kid
  kid=$(hq_for_kiosk)
  mkdir -p "$T/instr"
  hq_cli hq instruct --kiosk "$kid" --out "$T/instr" - \
    <<<"credit,$kid,$1,$2,$3,$4${5:+,$5}${6:+,$6}" >/dev/null
  uv instruction apply "$T/instr" >/dev/null
}
# a time N days from now, Unix seconds
days_from_now() { echo $(($(date +%s) + $1 * 86400)); }
# small_disk SIZE FUNCTION: run FUNCTION (of the calling test file) in a
# private mount namespace where $T/disk is a tmpfs of SIZE (e.g. 24m), and
# return its status. As root: unshare -m; otherwise a user namespace
# (unshare -rm). When neither can be made the test fails and says why: a
# disk-full test that cannot fill a disk must not pass.
small_disk() {
  local size=$1 fn=$2 file=${BASH_SOURCE[1]} how
  mkdir -p "$T/disk"
  if [ "$(id -u)" -eq 0 ]; then how=(unshare -m --propagation private); else how=(unshare -rm); fi
  "${how[@]}" true 2>"$T/unshare.err" ||
    die "cannot make a small disk: '${how[*]}' failed ($(cat "$T/unshare.err")); these tests need root or unprivileged user namespaces"
  # after a failed write Berkeley DB keeps the memory of the environment
  # univend closed panicked (see bdb-panic.supp)
  LSAN_OPTIONS="suppressions=$UV_ROOT/tests/e2e/bdb-panic.supp:print_suppressions=0" \
  "${how[@]}" bash -c '
    mount -t tmpfs -o size="$1" uv-small-disk "$T/disk" || { echo "ASSERTION FAILED: cannot mount a tmpfs of $1 at $T/disk" >&2; exit 1; }
    source "$2"; source "$3"; set -e; "$4"' small-disk "$size" "$UV_ROOT/tests/e2e/lib.sh" "$file" "$fn"
}
# fill_disk: fill $T/disk to the last byte; free_disk: give the space back
fill_disk() {
  dd if=/dev/zero of="$T/disk/fill" bs=64k 2>/dev/null || true
  dd if=/dev/zero of="$T/disk/fill2" bs=512 2>/dev/null || true
  [ "$(df --output=avail "$T/disk" | tail -n 1)" -eq 0 ] || die "$T/disk is not full"
}
free_disk() { rm -f "$T/disk/fill" "$T/disk/fill2"; }
