# cards.sh — the card tests' harness, sourced by t_*.sh files of card tests.
#
# A card test begins with `card_env`: it runs the rest of the test inside a
# private mount and network namespace (unshare -mn as root; unshare -rmn,
# a user namespace, otherwise) with only a loopback interface, a tmpfs on
# /run/pcscd (pcscd 1.9.9 puts its socket there whatever PCSCLITE_CSOCK_NAME
# says; the client library finds it there too), and its own pcscd running in
# the foreground with vsmartcard's virtual reader (vpcd) on CARD_PORT:
# "Virtual PCD 00 00" on CARD_PORT, "Virtual PCD 00 01" on CARD_PORT + 1.
# Cards are simulators (build/cardsim): inserting one starts it, connected to
# a slot's port; removing it stops it. Everything started is stopped when the
# test ends, however it ends.
#
#   card_env                         the namespace and pcscd (call first)
#   card_new TYPE NAME opt=value...  personalise a card image $T/NAME.img
#   card_insert NAME [SLOT] [--pull-before K | --pull-after K]
#   card_remove [SLOT]               the card out (waits until pcscd sees it)
#   card_log NAME                    the APDU log of a card ($T/NAME.log)
#   card_apdus NAME                  how many APDUs it has seen so far
#   card_meter NAME opt=value...     the meter's side on a card image

CARD_PORT=${CARD_PORT:-35963}
CARD_READER="Virtual PCD 00 00"
SAM_READER="Virtual PCD 00 01"
CARD_PIDS=()
PCSCD_PID=

card_cleanup() {
  local p
  for p in "${CARD_PIDS[@]}" $PCSCD_PID; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${CARD_PIDS[@]}" $PCSCD_PID; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  [ -z "${CARD_EXTRA_CLEANUP:-}" ] || $CARD_EXTRA_CLEANUP
}

# is something listening on TCP port $1 (the virtual reader's slot)?
card_listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

card_env() {
  [ -n "${CARDSIM:-}" ] || die "set CARDSIM to the card simulator (make e2e does)"
  if [ -z "${UV_CARD_NS:-}" ]; then
    # run this very test again inside the namespaces, and end with its status
    local fn=${FUNCNAME[1]} file=${BASH_SOURCE[1]} here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    local ns=(unshare -mn)
    [ "$(id -u)" -eq 0 ] || ns=(unshare -rmn)
    if ! "${ns[@]}" true 2>/dev/null; then
      die "card tests need root, or user namespaces for '${ns[*]}' (sysctl kernel.unprivileged_userns_clone=1)"
    fi
    set +e
    "${ns[@]}" env UV_CARD_NS=1 bash -c 'cd "$T" && source "$1" && source "$2" && source "$3" && set -e && "$4"' \
      _ "$here/lib.sh" "$here/cards.sh" "$file" "$fn"
    exit $?
  fi
  ip link set lo up
  mkdir -p /run/pcscd
  mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
  mkdir -p "$T/pcsc"
  printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%s\nLIBPATH %s\nCHANNELID %s\n' \
    "$CARD_PORT" /usr/lib/pcsc/drivers/serial/libifdvpcd.so "$CARD_PORT" >"$T/pcsc/vpcd"
  trap card_cleanup EXIT
  pcscd -f -c "$T/pcsc" >"$T/pcscd.log" 2>&1 &
  PCSCD_PID=$!
  local end=$((SECONDS + 10))
  until card_listening "$CARD_PORT" && card_listening $((CARD_PORT + 1)) &&
    [ -S /run/pcscd/pcscd.comm ]; do
    kill -0 "$PCSCD_PID" 2>/dev/null || die "pcscd died: $(cat "$T/pcscd.log")"
    [ $SECONDS -lt $end ] || die "pcscd did not bring up the virtual reader: $(cat "$T/pcscd.log")"
    sleep 0.02
  done
}

card_new() {
  local type=$1 name=$2; shift 2
  echo "$type" >"$T/$name.type"
  "$CARDSIM" new "$type" "$T/$name.img" "$@"
}

# the slot's simulator process, if one runs
card_pid() { local v="CARD_SLOT_PID_${1:-0}"; echo "${!v:-}"; }

card_insert() {
  local name=$1 slot=0; shift
  if [ $# -gt 0 ] && [[ $1 != --* ]]; then slot=$1; shift; fi
  [ -z "$(card_pid "$slot")" ] || card_remove "$slot"
  local type before
  type=$(cat "$T/$name.type")
  before=$(card_inserted "$name")
  "$CARDSIM" run --port $((CARD_PORT + slot)) --card "$type:$T/$name.img" --log "$T/$name.log" "$@" \
    2>>"$T/$name.err" &
  local pid=$!
  CARD_PIDS+=("$pid")
  printf -v "CARD_SLOT_PID_$slot" '%s' "$pid"
  local end=$((SECONDS + 10))
  until [ "$(card_inserted "$name")" -gt "$before" ]; do
    kill -0 "$pid" 2>/dev/null || die "cardsim did not start: $(cat "$T/$name.err")"
    [ $SECONDS -lt $end ] || die "cardsim did not connect to the virtual reader: $(cat "$T/$name.err" "$T/$name.log" 2>&1)"
    sleep 0.02
  done
}

# pull the card: stop its simulator, then wait until pcscd reports the slot
# empty (it polls the virtual reader a few times a second)
card_remove() {
  local slot=${1:-0} pid
  pid=$(card_pid "$slot")
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  printf -v "CARD_SLOT_PID_$slot" '%s' ""
  sleep 0.5 # longer than pcscd's polling interval of the reader (400 ms)
}

# a simulator that pulled itself (--pull-*) has ended: forget it
card_gone() {
  local slot=${1:-0} pid
  pid=$(card_pid "$slot")
  [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
  printf -v "CARD_SLOT_PID_$slot" '%s' ""
  sleep 0.5
}

card_log() { cat "$T/$1.log"; }
# how many times the card was inserted (connected to the reader)
card_inserted() { cat "$T/$1.log" 2>/dev/null | grep -c '^inserted' || true; }
card_apdus() { grep -c '^[0-9]* >' "$T/$1.log" 2>/dev/null || echo 0; }
card_meter() { local name=$1; shift; "$CARDSIM" meter "$(cat "$T/$name.type")" "$T/$name.img" "$@"; }
