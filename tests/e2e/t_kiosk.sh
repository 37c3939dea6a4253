# t_kiosk.sh — the clerk's full-screen kiosk (univend-kiosk), driven in tmux.
#
# Each test starts the real kiosk binary in a private tmux server (80x24, no
# status line), types with send-keys and reads the screen with capture-pane,
# polling for the text it expects (no fixed sleeps). The kiosk owns the
# database while it runs, so what it stored is checked with the CLI after the
# kiosk has been stopped with SIGTERM, which must take its normal close path
# (exit status 0, clean sanitizer log).

source "$(dirname "${BASH_SOURCE[0]}")/cards.sh"

KT_SOCK=
KT_PID=
KT_WAIT=${KIOSK_WAIT:-20}

kt() { tmux -L "$KT_SOCK" "$@"; }
kiosk_cleanup() { [ -z "$KT_SOCK" ] || tmux -L "$KT_SOCK" kill-server 2>/dev/null || true; }

# kiosk_launch [VAR=value ...] [-- kiosk args]: start the kiosk, do not wait
kiosk_launch() {
  : "${UNIVEND_KIOSK:?set UNIVEND_KIOSK to the univend-kiosk binary}"
  local envs=() args=(--home "$T/kiosk")
  while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then shift; args=("$@"); break; fi
    envs+=("$1"); shift
  done
  kiosk_cleanup
  KT_SOCK="uv-e2e-${BASHPID}-${RANDOM}"
  [ -n "${KT_OWN_TRAP:-}" ] || trap kiosk_cleanup EXIT
  printf 'set -g status off\n' >"$T/tmux.conf"
  rm -f "$T/kiosk.rc" "$T/kiosk.pid"
  # A launcher: the kiosk runs in the foreground on the pane's tty (its pid
  # written first), and the shell records its exit status, as tmux's own
  # pane_dead_status is not reliable everywhere; the pane then stays up.
  {
    echo 'sh -c '\''echo $$ >"$0"; shift; exec "$@"'\'' \'
    printf ' %q' "$T/kiosk.pid" x env "${envs[@]}" LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen \
      "$UNIVEND_KIOSK" "${args[@]}"
    printf '\necho $? >%q; mv %q %q\nexec sleep 600\n' "$T/kiosk.rc.tmp" "$T/kiosk.rc.tmp" \
      "$T/kiosk.rc"
  } >"$T/kiosk.sh"
  kt -f "$T/tmux.conf" new-session -d -x 80 -y 24 -s k "sh '$T/kiosk.sh'"
  local end=$((SECONDS + KT_WAIT))
  until [ -s "$T/kiosk.pid" ]; do
    [ $SECONDS -lt $end ] || die "the kiosk did not start"
    sleep 0.02
  done
  KT_PID=$(cat "$T/kiosk.pid")
}
# kiosk_start [VAR=value ...]: start it and wait for the start screen
kiosk_start() {
  kiosk_launch "$@"
  wait_for "Press Enter to log in"
}

screen() { kt capture-pane -p -t k; }
keys() { kt send-keys -t k "$@"; }
typed() { kt send-keys -t k -l "$1"; }
alive() { [ ! -s "$T/kiosk.rc" ]; }

# wait_for REGEX [seconds]: until the screen matches; $SCREEN holds it
wait_for() {
  local re=$1 end=$((SECONDS + ${2:-$KT_WAIT}))
  while :; do
    SCREEN=$(screen)
    grep -Eq -- "$re" <<<"$SCREEN" && return 0
    if [ $SECONDS -ge $end ] || ! alive; then
      die "screen lacks /$re/ (kiosk $(alive && echo running || echo dead)):
$SCREEN
$(tail -n 20 "$T/kiosk/kiosk.log" 2>/dev/null)"
    fi
    sleep 0.05
  done
}
# not_on_screen REGEX: the last screen waited for does not match
not_on_screen() { ! grep -Eq -- "$1" <<<"$SCREEN" || die "screen has /$1/:
$SCREEN"; }

wait_dead() {
  local end=$((SECONDS + KT_WAIT))
  while alive; do
    [ $SECONDS -lt $end ] || die "the kiosk is still running"
    sleep 0.05
  done
  KT_STATUS=$(cat "$T/kiosk.rc")
}
sanitizer_clean() {
  ! grep -Eq "AddressSanitizer|LeakSanitizer|runtime error" "$T/kiosk/kiosk.log" 2>/dev/null ||
    die "sanitizer report: $(cat "$T/kiosk/kiosk.log")"
}
# kiosk_stop: SIGTERM; it must leave through the close path with status 0
kiosk_stop() {
  kill -TERM "$KT_PID"
  wait_dead
  [ "$KT_STATUS" = 0 ] || die "the kiosk exited $KT_STATUS on SIGTERM"
  sanitizer_clean
  kiosk_cleanup
}

# From the start screen (or the login screen): log in, wait for the menu.
login() {
  keys Enter
  wait_for "Enter your clerk id and PIN"
  typed "$1"; keys Enter
  typed "$2"; keys Enter
  wait_for "0  Log out"
}

# From the menu: a whole sale; $TOKEN holds the grouped token shown.
sell() { # METER AMOUNT [confirm key]
  keys 1
  wait_for "Type the meter number"
  typed "$1"
  wait_for "Found"
  keys Enter
  wait_for "Type the amount paid"
  typed "$2"; keys Enter
  wait_for "Enter or F10: sell and issue the token"
  keys "${3:-Enter}"
  wait_for "TOKEN  [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}"
  TOKEN=$(grep -Eo "TOKEN  [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}" <<<"$SCREEN" | cut -c8-)
}

# ---- tests -------------------------------------------------------------------

test_kiosk_start_screen_and_login() {
  demo_kiosk
  kiosk_start
  wait_for "STS-EA07 +sts +1\.0\.0 +sts\.so +ready"
  grep -q "Kiosk  *DEMO-1" <<<"$SCREEN" || die "no kiosk id on the start screen"
  grep -Eq "Date and time +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}" <<<"$SCREEN" ||
    die "no date and time on the start screen"
  keys Enter
  wait_for "Enter your clerk id and PIN"
  # wrong PIN: refused, still at the login screen, the PIN never shown
  typed clerk1; keys Enter; typed 9999; keys Enter
  wait_for "wrong clerk id or PIN \(4 tries left\)"
  not_on_screen "9999"
  not_on_screen "Log out"
  # right PIN: the clerk's menu, without the supervisor's entries
  typed 1111; keys Enter
  wait_for "0  Log out"
  grep -q "clerk1 (clerk)" <<<"$SCREEN" || die "status line lacks the clerk"
  not_on_screen "Supervisor|Day report"
  keys 5 4
  keys 1
  wait_for "Type the meter number" # 5 and 4 did nothing for a clerk
  keys Escape
  wait_for "0  Log out"
  keys 0
  wait_for "Enter your clerk id and PIN"
  typed super; keys Enter; typed 1234; keys Enter
  wait_for "5  Supervisor"
  grep -q "4  Day report (Z) and closing" <<<"$SCREEN" || die "no day report for a supervisor"
  kiosk_stop
  expect_rc 0 uv audit list
  expect_out "login.failed +clerk1 +wrong PIN \(1 in a row\)"
  expect_out "clerk1 +login +clerk1"
  expect_out "clerk1 +logout +clerk1"
  expect_out "super +login +super"
  expect_out "super +logout +super" # SIGTERM logged the supervisor out
  expect_rc 0 uv audit verify
}

test_kiosk_lockout_after_five_wrong_pins() {
  demo_kiosk
  kiosk_start
  keys Enter
  wait_for "Enter your clerk id and PIN"
  typed clerk1; keys Enter
  local left
  for left in "4 tries" "3 tries" "2 tries" "1 try"; do
    typed 0000; keys Enter
    wait_for "wrong clerk id or PIN \($left left\)"
  done
  typed 0000; keys Enter
  wait_for "wrong PIN: clerk clerk1 is now locked for 15 minutes"
  # the right PIN does not open a locked clerk
  typed 1111; keys Enter
  wait_for "clerk clerk1 is locked for 15 more minutes"
  not_on_screen "Log out"
  # another clerk is not locked
  keys Escape
  wait_for "Enter: next  Esc: back"
  keys C-u; typed super; keys Enter; typed 1234; keys Enter
  wait_for "0  Log out"
  kiosk_stop
  expect_rc 0 uv audit list
  expect_out "login.locked +clerk1 +wrong PIN \(5 in a row\), clerk locked"
  expect_out "login.failed +clerk1 +locked"
  expect_rc 0 uv clerk list
  expect_out "^clerk1 .* locked"
}

test_kiosk_sale_shows_grouped_token_and_stores_receipt() {
  demo_kiosk
  printf 'printer = %s\nprinter_format = text\n' "$T/printer.out" >>"$T/kiosk/univend.conf"
  kiosk_start
  login clerk1 1111
  keys 1
  wait_for "Type the meter number"
  # check digit as you type
  typed 0123456789
  wait_for "\[0123456789 +\] 10 digits"
  typed 0
  wait_for "Check digit wrong"
  keys BSpace; typed 7
  wait_for "Found"
  grep -q "Customer  *Thandi Nkosi (C001)" <<<"$SCREEN" || die "no customer"
  grep -q "Meter type  *STS-EA07" <<<"$SCREEN" || die "no meter type"
  grep -q "Driver  *sts 1.0.0 (sts.so)" <<<"$SCREEN" || die "no driver"
  wait_for "Tariff +RES Residential"
  keys C-u; typed 12345678903
  wait_for "No such meter here"
  keys Enter
  wait_for "No such meter here" # Enter does not go on with an unknown meter
  not_on_screen "Type the amount paid"
  keys C-u; typed 01234567897
  wait_for "Found"
  keys Enter
  wait_for "Type the amount paid"
  typed 0.10; keys Enter # below min_sale: refused with the core's message
  wait_for "amount is below the minimum sale of 1.00 ZAR"
  not_on_screen "Enter or F10: sell"
  keys C-u; typed 50.00; keys Enter
  wait_for "Enter or F10: sell and issue the token"
  grep -Eq "Energy +28.9 kWh" <<<"$SCREEN" || die "no energy in the quote"
  grep -Eq "VAT 15.00% +6.50 ZAR" <<<"$SCREEN" || die "no VAT in the quote"  # 43.35 + 6.50 = 49.85, change 0.15
  grep -Eq "Net +43.35 ZAR" <<<"$SCREEN" || die "no net in the quote"
  grep -Eq "Total +49.85 ZAR" <<<"$SCREEN" || die "no total in the quote"
  grep -Eq "Change +0.15 ZAR" <<<"$SCREEN" || die "no change in the quote"
  keys Enter
  wait_for "TOKEN  [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}"
  TOKEN=$(grep -Eo "TOKEN  [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}" <<<"$SCREEN" | cut -c8-)
  grep -Eq "Receipt +1 " <<<"$SCREEN" || die "no receipt number"
  # the large digits: two bands of block characters
  [ "$(grep -c '█' <<<"$SCREEN")" -ge 4 ] || die "no large digits:
$SCREEN"
  wait_for "Sent to the printer"
  keys Enter
  wait_for "Type the meter number" # a new sale
  kiosk_stop
  expect_rc 0 uv receipt show 1
  expect_out "^TOKEN +$TOKEN$"
  expect_out "^Clerk +clerk1$"
  expect_out "^Paid +50.00 ZAR"
  [ "$(receipt_count)" -eq 1 ] || die "expected exactly one receipt"
  grep -q "TOKEN     $TOKEN" "$T/printer.out" || die "the receipt was not printed"
  expect_rc 0 uv token decode $TOKEN --meter 01234567897
  expect_out "28.9 kWh electricity"
}

test_kiosk_esc_before_confirm_stores_nothing() {
  demo_kiosk
  kiosk_start
  login clerk1 1111
  # meter step: Esc back to the menu
  keys 1
  wait_for "Type the meter number"
  typed 01234567897
  wait_for "Found"
  keys Escape
  wait_for "0  Log out"
  # amount step: Esc back to the meter (kept), Esc back to the menu
  keys 1
  wait_for "Type the meter number"
  typed 01234567897; keys Enter
  wait_for "Type the amount paid"
  typed 20.00
  keys Escape
  wait_for "Type the meter number"
  grep -q "\[01234567897" <<<"$SCREEN" || die "the meter number was lost"
  # confirm step: Esc back to the amount, the meter, the menu
  keys Enter
  wait_for "Type the amount paid"
  keys Enter
  wait_for "Enter or F10: sell and issue the token"
  keys Escape
  wait_for "Type the amount paid"
  not_on_screen "TOKEN"
  keys Escape
  wait_for "Type the meter number"
  keys Escape
  wait_for "0  Log out"
  kiosk_stop
  [ "$(receipt_count)" -eq 0 ] || die "Esc before confirm stored a receipt"
  expect_rc 0 uv audit list
  expect_no_out " sale "
  expect_rc 0 uv meter show 01234567897
  expect_out "sales: +0"
  # after confirm, Esc on the token screen starts a new sale; the sale stays,
  # and so it does when the printer is not there
  echo "printer = $T/no/such/dir/lp0" >>"$T/kiosk/univend.conf"
  kiosk_start
  login clerk1 1111
  sell 01234567897 20.00
  wait_for "Printer: printer .*no/such/dir/lp0: No such file"
  keys Escape
  wait_for "Type the meter number"
  not_on_screen "TOKEN"
  grep -Eq "Meter number +\[ +\]" <<<"$SCREEN" || die "the new sale is not empty"
  kiosk_stop
  [ "$(receipt_count)" -eq 1 ] || die "the confirmed sale is not stored"
  expect_rc 0 uv receipt show 1
  expect_out "^TOKEN +$TOKEN$"
}

test_kiosk_receipt_search_and_reprint() {
  demo_kiosk
  printf 'printer = %s\nprinter_format = text\n' "$T/printer.out" >>"$T/kiosk/univend.conf"
  uv --clerk clerk1 sell --meter 01234567897 --amount 10.00 >/dev/null
  uv --clerk super sell --meter 47160001237 --amount 30.00 >/dev/null
  : >"$T/printer.out"
  kiosk_start
  login clerk1 1111
  keys 2
  wait_for "Receipts found: 2"
  # by meter
  keys Tab; typed 47160001237; keys Enter
  wait_for "Receipts found: 1"
  grep -Eq "^ +2 .* 47160001237 +super +29.84 ZAR" <<<"$SCREEN" || die "wrong row:
$SCREEN"
  # by clerk
  keys Tab C-u Tab; typed clerk1; keys Enter
  wait_for "^ +1 .* 01234567897 +clerk1 +9.83 ZAR"
  not_on_screen "47160001237 +super"
  # by date: today finds both, tomorrow none
  keys Tab Tab C-u Tab; typed "$(date +%F)"; keys Enter
  wait_for "Receipts found: 2"
  keys Tab Tab Tab C-u; typed "$(date -d tomorrow +%F)"; keys Enter
  wait_for "No receipt matches"
  keys Tab Tab Tab C-u; keys Enter
  wait_for "Receipts found: 2"
  # show receipt 1 (the second row: newest first) and reprint it
  keys Down Enter
  wait_for "Receipt 1 "
  grep -Eq "^ +TOKEN +[0-9]{4} " <<<"$SCREEN" || die "the receipt shows no token"
  not_on_screen "REPRINT"
  keys p
  wait_for "Reprint receipt 1\? Enter: yes"
  keys Enter
  wait_for "\*\*\* REPRINT 1 \*\*\*"
  wait_for "Reprinted and sent to the printer"
  kiosk_stop
  expect_rc 0 uv receipt show 1
  expect_out "REPRINT 1"
  expect_rc 0 uv audit list
  expect_out "clerk1 +receipt.reprint +01234567897 +receipt 1 reprint 1"
  grep -q "REPRINT 1" "$T/printer.out" || die "the reprint was not printed"
}

test_kiosk_shift_report_matches_sales() {
  demo_kiosk
  uv --clerk super sell --meter 47160001237 --amount 10.00 >/dev/null # not clerk1's
  kiosk_start
  login clerk1 1111
  sell 01234567897 50.00
  keys Enter
  wait_for "Type the meter number"
  typed 04123456784
  wait_for "Found"
  keys Enter
  wait_for "Type the amount paid"
  typed 25.00; keys Enter
  wait_for "Enter or F10: sell"
  keys F10 # F10 confirms too
  wait_for "TOKEN  [0-9]{4}"
  keys Enter
  wait_for "Type the meter number"
  keys Escape
  wait_for "0  Log out"
  keys 3
  # charged: 50.00 -> 49.85 (VAT 6.50), 25.00 at 0.90 -> 24.1 kWh = 21.69 + 3.25 = 24.94
  wait_for "Sales: 2   Total: 74.79 ZAR   VAT: 9.75 ZAR"
  grep -q "Receipts 2 to 3" <<<"$SCREEN" || die "wrong receipt range"
  grep -Eq "Paid +74.79 ZAR" <<<"$SCREEN" || die "the report text disagrees"
  keys c
  wait_for "Close your shift now\?"
  keys Enter
  wait_for "Shift closed \(closing 1\)"
  wait_for "Sales: 0 "
  kiosk_stop
  expect_rc 0 uv report shift --clerk clerk1
  expect_out "^Sales +0$"
  expect_rc 0 uv report day
  expect_out "^Sales +3$"
  expect_out "^clerk1 +2 +74.79"
  expect_rc 0 uv audit list
  expect_out "clerk1 +shift.close +clerk1"
}

test_kiosk_idle_lock_then_unlock_or_take_over() {
  demo_kiosk
  kiosk_start UNIVEND_IDLE_LOCK_SECONDS=3
  login clerk1 1111
  keys 1
  wait_for "Type the meter number"
  typed 0123456
  wait_for "LOCKED: no key was pressed" 15
  not_on_screen "0123456|Meter number"
  typed 0000; keys Enter
  wait_for "wrong clerk id or PIN"
  typed 1111; keys Enter
  wait_for "\[0123456 +\]" # the same clerk is back where they were
  grep -q "clerk1 (clerk)" <<<"$SCREEN" || die "not clerk1 after unlocking"
  # locked again; another clerk takes over and the first is logged out
  wait_for "LOCKED: no key was pressed" 15
  keys Up C-u; typed super; keys Enter; typed 1234; keys Enter
  wait_for "5  Supervisor"
  grep -q "super (supervisor)" <<<"$SCREEN" || die "not super after the take-over"
  kiosk_stop
  expect_rc 0 uv audit list
  expect_out "clerk1 +login.failed +clerk1 +wrong PIN"
  expect_out "clerk1 +logout +clerk1"
  expect_out "super +login +super"
  [ "$(receipt_count)" -eq 0 ] || die "a receipt appeared"
}

test_kiosk_resize_redraws() {
  demo_kiosk
  kiosk_start
  login clerk1 1111
  [ "$(screen | wc -l)" -eq 24 ] || die "not 24 lines"
  kt resize-window -t k -x 100 -y 30
  # content centred in 100 columns, help on line 30, the clock at the right edge
  wait_for "^                 1  Sell electricity"
  [ "$(wc -l <<<"$SCREEN")" -eq 30 ] || die "not 30 lines after the resize"
  sed -n 30p <<<"$SCREEN" | grep -q "^ Number or Up/Down" || die "help not on the last line:
$SCREEN"
  [ "$(head -n1 <<<"$SCREEN" | awk '{print length}')" -eq 99 ] || die "status line not 100 wide"
  kt resize-window -t k -x 70 -y 20
  wait_for "needs at least 80x24"
  kt resize-window -t k -x 80 -y 24
  wait_for "^       1  Sell electricity"
  [ "$(wc -l <<<"$SCREEN")" -eq 24 ] || die "not 24 lines after the resize"
  sed -n 24p <<<"$SCREEN" | grep -q "^ Number or Up/Down" || die "help not on the last line"
  [ "$(head -n1 <<<"$SCREEN" | awk '{print length}')" -eq 79 ] || die "status line not 80 wide"
  [ "$(awk 'length > 80' <<<"$SCREEN" | wc -l)" -eq 0 ] || die "a line is past column 80"
  not_on_screen "needs at least"
  keys 1 # still working
  wait_for "Type the meter number"
  kiosk_stop
}

test_kiosk_ignores_ctrl_c_z_backslash() {
  demo_kiosk
  kiosk_start
  login clerk1 1111
  keys C-c C-z 'C-\' C-s C-q
  kill -INT "$KT_PID"
  kill -QUIT "$KT_PID"
  kill -TSTP "$KT_PID"
  keys 1 # responsive (Ctrl-S froze nothing)
  wait_for "Type the meter number"
  alive || die "the kiosk died"
  [ "$(cut -d' ' -f3 "/proc/$KT_PID/stat")" != T ] || die "the kiosk was stopped"
  kiosk_stop
  expect_rc 0 uv audit verify
  expect_rc 0 uv audit list
  expect_out "clerk1 +logout +clerk1"
}

test_kiosk_supervisor_screens() {
  demo_kiosk
  mkdir -p "$T/usb"
  echo "export_dir = $T/usb" >>"$T/kiosk/univend.conf"
  kiosk_start
  login super 1234
  keys 5
  wait_for "8  Head office instructions"
  keys 1
  wait_for "Thandi Nkosi"
  keys a
  wait_for "New customer"
  typed C004; keys Tab; typed "李伟"; keys Tab; typed "1 Dam Rd"; keys Tab; typed 0821234567
  keys Enter
  wait_for "C004 +李伟 +1 Dam Rd"
  keys Escape
  wait_for "8  Head office instructions"
  keys 6
  wait_for "Action .1-6."
  typed 01234567897; keys Enter; typed 3; keys Enter; keys Enter; typed "lid reseated"; keys Enter
  wait_for "TOKEN 1 of 1"
  keys Enter
  wait_for "8  Head office instructions"
  keys 7
  wait_for "Wrote univend-DEMO-1-00000001.uvx to"
  keys Enter
  wait_for "8  Head office instructions"
  keys 4
  wait_for "STS-EA09 +sts +1.0.0 +sts.so +ready"
  keys Escape
  wait_for "8  Head office instructions"
  keys Escape
  wait_for "0  Log out"
  kiosk_stop
  expect_rc 0 uv customer list
  expect_out "C004 +李伟"
  expect_rc 0 uv audit list
  expect_out "super +customer.add +C004"
  expect_out "super +mgmt +01234567897 +1 clear-tamper"
  expect_out "super +export +univend-DEMO-1-00000001.uvx"
  [ -f "$T/usb/univend-DEMO-1-00000001.uvx" ] || die "the export file was not written"
}

test_kiosk_supervisor_applies_head_office_instructions() {
  demo_kiosk
  local hqh=(env UNIVEND_PASSPHRASE=hq-pass "$UNIVEND" --home "$T/hq")
  "${hqh[@]}" init --kiosk-id HQ --kdf-iterations 1000 >/dev/null
  "${hqh[@]}" hq keygen >/dev/null
  "${hqh[@]}" hq kiosk add DEMO-1 --pubkey "$(uv export pubkey | cut -d' ' -f2)" >/dev/null
  uv trust add HQ "$("${hqh[@]}" hq pubkey)" >/dev/null
  mkdir -p "$T/usb"
  printf 'customer,*,C777,From Head Office\nblacklist,*,CARD-7,stolen\n' >"$T/records"
  "${hqh[@]}" hq instruct --kiosk DEMO-1 --out "$T/usb" "$T/records" >/dev/null
  echo "import_dir = $T/usb" >>"$T/kiosk/univend.conf"
  kiosk_start
  login super 1234
  keys 5
  wait_for "8  Head office instructions"
  keys 8
  wait_for "^ *instruction 1, 2 record"
  wait_for "1 applied, 0 already applied"
  keys Enter
  wait_for "8  Head office instructions"
  keys 8   # again: nothing new
  wait_for "0 applied, 1 already applied"
  keys Enter
  wait_for "8  Head office instructions"
  keys Escape
  wait_for "0  Log out"
  kiosk_stop
  expect_rc 0 uv customer list
  expect_out "C777 +From Head Office"
  expect_rc 0 uv audit list
  expect_out "super +instruction.apply +instruct-DEMO-1-00000001.uvi"
}

test_kiosk_chinese_ui() {
  demo_kiosk
  echo "language = zh" >>"$T/kiosk/univend.conf"
  kiosk_launch
  wait_for "按回车键登录"
  keys Enter
  wait_for "店员登录"
  typed clerk1; keys Enter; typed 1111; keys Enter
  wait_for "1  售电"
  grep -q "clerk1 (店员)" <<<"$SCREEN" || die "no Chinese role on the status line"
  kiosk_stop
}

test_kiosk_fatal_error_shows_message_and_exits() {
  mkdir -p "$T/empty"
  kiosk_launch -- --home "$T/empty"
  wait_for "The kiosk cannot continue"
  keys Enter
  wait_dead
  [ "$KT_STATUS" != 0 ] || die "a fatal error exited 0"
}

test_kiosk_asks_for_the_passphrase_when_none_is_configured() {
  demo_kiosk
  local pass
  pass=$(cat "$T/kiosk/passphrase")
  sed -i 's/^passphrase_file.*//' "$T/kiosk/univend.conf"
  kiosk_launch -u UNIVEND_PASSPHRASE
  wait_for "Enter the kiosk passphrase"
  typed not-the-passphrase; keys Enter
  wait_for "wrong key store passphrase"
  not_on_screen "not-the-passphrase"
  typed "$pass"; keys Enter
  wait_for "Key store +unlocked"
  login clerk1 1111
  sell 01234567897 10.00 # the vending key is usable
  kiosk_stop
  [ "$(receipt_count)" -eq 1 ] || die "the sale was not stored"
}

# ---- the guarded clock and the vending credit ------------------------------------

# libfaketime, to move the kiosk's host clock (Debian's faketime package)
faketime_lib() {
  local f
  for f in /usr/lib/*/faketime/libfaketime.so.1; do [ -f "$f" ] && { echo "$f"; return; }; done
  die "libfaketime is not installed (scripts/setup installs faketime)"
}

test_kiosk_clock_jumped_forward_a_supervisor_confirms_at_the_sale() {
  demo_kiosk
  uv sell --meter 01234567897 --amount 10.00 >/dev/null
  kiosk_start LD_PRELOAD="$(faketime_lib)" FAKETIME=+8d \
    ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  grep -q "The clock is wrong" <<<"$SCREEN" || die "no clock warning on the start screen"
  login clerk1 1111
  keys 1
  wait_for "Confirm the time"
  grep -q "A supervisor confirms" <<<"$SCREEN" || die "no explanation"
  # the clerk's own PIN does not do
  typed clerk1; keys Enter; typed 1111; keys Enter
  wait_for "only a supervisor may confirm the kiosk clock"
  keys Up BSpace BSpace BSpace BSpace BSpace BSpace
  typed super; keys Enter; typed 1234; keys Enter
  wait_for "The time is confirmed"
  wait_for "Type the meter number"
  typed 01234567897
  wait_for "Found"
  keys Enter; typed 20; keys Enter
  wait_for "Enter or F10: sell and issue the token"
  keys Enter
  wait_for "TOKEN  [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}"
  grep -q "clerk1 (clerk)" <<<"$SCREEN" || die "the clerk is no longer the one logged in"
  kiosk_stop
  [ "$(receipt_count)" -eq 2 ] || die "the confirmed sale is missing"
  expect_rc 0 uv audit list
  expect_out "clerk1 +denied +confirm the kiosk clock"
  expect_out "super +clock.confirm .*8 days after the last activity"
  expect_out "clerk1 +sale +01234567897 +receipt 2"
}

test_kiosk_supervisor_clock_screen_sets_the_time() {
  demo_kiosk
  uv sell --meter 01234567897 --amount 10.00 >/dev/null
  # the host clock a day behind the last sale: no sale
  kiosk_start LD_PRELOAD="$(faketime_lib)" FAKETIME=-1d \
    ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  login super 1234
  keys 1
  wait_for "is (1 day|23 hours [0-9]+ minutes) earlier"
  keys Enter
  wait_for "0  Log out"
  keys 5
  wait_for "9  Clock"
  grep -q "Vending credit: none granted" <<<"$SCREEN" || die "no credit line on the supervisor menu"
  keys 9
  wait_for "state +BEHIND"
  keys s
  wait_for "Type the right time"
  keys BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace \
    BSpace BSpace BSpace BSpace
  typed "$(date -u '+%Y-%m-%d %H:%M')"; keys Enter
  wait_for "state +ok: sales allowed"
  keys Escape
  wait_for "9  Clock"
  keys Escape
  wait_for "0  Log out"
  sell 01234567897 20
  kiosk_stop
  expect_rc 0 uv audit list
  expect_out "super +clock.set .*from .* to "
  [ "$(receipt_count)" -eq 2 ] || die "no sale after the time was set"
}

test_kiosk_credit_used_up_stops_sales() {
  demo_kiosk
  grant_credit E1 0 11500 "$(days_from_now 30)" 0 2000   # what 20.00 buys
  kiosk_start
  grep -Eq "Vending credit +11.5 kWh left, until" <<<"$SCREEN" || die "no credit on the start screen"
  login clerk1 1111
  sell 01234567897 20
  grep -q "Vending credit used up" <<<"$SCREEN" || die "no warning after the last sale"
  keys Enter
  wait_for "Type the meter number"
  grep -q "Vending credit used up (0.0 kWh left" <<<"$SCREEN" || die "no warning at the next sale"
  typed 01234567897
  wait_for "Found"
  keys Enter
  wait_for "Type the amount paid"
  typed 5; keys Enter
  # the refusal on the message line (two rows; the warning row is one,
  # cut at the screen's edge)
  wait_for "^ +office must send new credit"
  grep -q "Thandi Nkosi" <<<"$SCREEN" || die "the refusal cleared the meter's details"
  not_on_screen "Enter or F10: sell"
  keys Escape; keys Escape
  wait_for "0  Log out"
  keys 0
  wait_for "Press Enter to log in|Enter your clerk id"
  login super 1234
  keys 5
  wait_for "9  Clock"
  grep -q "Vending credit: Vending credit used up" <<<"$SCREEN" || die "no credit line for the supervisor"
  kiosk_stop
  [ "$(receipt_count)" -eq 1 ] || die "expected exactly the one sale"
}

# F3 on the sale screen: a card sale on a memory card through the real
# PC/SC stack (tests/e2e/cards.sh), a card taken out before the sale, and a
# card the kiosk refuses.
test_kiosk_card_sale() {
  KT_OWN_TRAP=1 CARD_EXTRA_CLEANUP=kiosk_cleanup
  card_env
  demo_kiosk
  echo "card_reader = $CARD_READER" >>"$T/kiosk/univend.conf"
  uv key add memcard:master --hex 000102030405060708090A0B0C0D0E0F >/dev/null
  register_signed memcard.so
  uv meter add 5000000001 --type MEM-A1 --customer C002 --tariff RES >/dev/null
  card_new memory c1 serial=0A1B2C3D4E5F60 meter=5000000001 type=MEM-A1 \
    key=000102030405060708090A0B0C0D0E0F
  card_new memory x1 serial=0A1B2C3D4E5F61 meter=5000000001 type=MEM-X1 \
    key=000102030405060708090A0B0C0D0E0F
  card_meter c1 key=000102030405060708090A0B0C0D0E0F tamper=1 >/dev/null
  kiosk_start
  login clerk1 1111
  keys 1
  wait_for "F3: card sale"
  keys F3
  wait_for "Insert the customer's card in the reader"
  grep -q "Reader: Virtual PCD 00 00" <<<"$SCREEN" || die "no reader named"
  card_insert c1
  wait_for "Type the amount paid"
  grep -Eq "Meter number +\[5000000001" <<<"$SCREEN" || die "not the card's meter: $SCREEN"
  grep -q "Customer  *.*(C002)" <<<"$SCREEN" || die "no customer"
  grep -q "memory card 0A1B2C3D4E5F60, record 0" <<<"$SCREEN" || die "no card check"
  grep -q "Meter says  *0.0 kWh left; TAMPER reported (0x1)" <<<"$SCREEN" || die "no meter report"
  typed 50.00; keys Enter
  wait_for "Enter or F10: sell and write the card"
  grep -Eq "Total +49.85 ZAR" <<<"$SCREEN" || die "no total in the quote"
  keys Enter
  wait_for "The card was written"
  grep -Eq "Receipt +1 " <<<"$SCREEN" || die "no receipt number"
  grep -q "0A1B2C3D4E5F60/1" <<<"$SCREEN" || die "no card write id"
  keys Enter
  # the card again: it carries the credit; Esc gives it back without a sale
  wait_for "F3: card sale"
  keys F3
  wait_for "Type the amount paid"
  grep -q "record 1, 28.9 kWh not yet in" <<<"$SCREEN" || die "the card lacks the credit: $SCREEN"
  not_on_screen "Reading the card"
  keys Escape
  wait_for "F3: card sale"
  # taken out after the quote: nothing sold, the clerk told so
  keys F3
  wait_for "Type the amount paid"
  typed 10.00; keys Enter
  wait_for "sell and write the card"
  card_remove
  keys Enter
  wait_for "no longer in the reader: nothing was sold"
  # a card whose type has no driver here: refused, said plainly
  keys F3
  wait_for "Insert the customer's card"
  card_insert x1
  wait_for "This card \(type MEM-X1\) has no driver on this kiosk"
  # pulled after the credit write, before the card answered: the whole story
  # on screen, nothing recorded; the card back in settles it (first the
  # meter takes sale 1: no sale is written on top of credit not yet taken)
  card_remove
  card_meter c1 key=000102030405060708090A0B0C0D0E0F >/dev/null
  card_insert c1 --pull-after 4
  keys F3
  wait_for "Type the amount paid"
  typed 20.00; keys Enter
  wait_for "sell and write the card"
  keys Enter
  wait_for "Card write not confirmed"
  grep -q "NOTHING IS RECORDED YET" <<<"$SCREEN" || die "not told: $SCREEN"
  grep -q "put the same card back in" <<<"$SCREEN" || die "not told what to do: $SCREEN"
  keys Enter
  wait_for "F3: card sale"
  card_gone
  keys F3
  wait_for "Insert the customer's card"
  card_insert c1
  wait_for "now recorded as receipt 2"
  grep -Eq "Receipt +2 " <<<"$SCREEN" || die "the settled receipt is not shown"
  keys Enter
  # and Esc while waiting goes back
  card_remove
  wait_for "F3: card sale"
  keys F3
  wait_for "Insert the customer's card"
  keys Escape
  wait_for "F3: card sale"
  kiosk_stop
  [ "$(receipt_count)" -eq 2 ] || die "expected two receipts"
  expect_rc 0 uv receipt show 1
  expect_out "CARD +0A1B2C3D4E5F60"
  expect_out "^Clerk +clerk1$"
  expect_rc 0 uv audit list
  expect_out "card.refused +5000000001 .*MEM-X1"
  expect_out "sale.card-confirmed +5000000001 +receipt 2"
  expect_out "meter.tamper +5000000001"
  expect_rc 0 uv card pending
  expect_no_out "5000000001"
}

# A driver that crashes in the middle of a sale stops only its own host
# process: the kiosk shows why, stores nothing, keeps running, and the next
# sale (a fresh host process of the same driver) works.
test_kiosk_survives_a_driver_crash_during_a_sale() {
  bare_kiosk "$UNIVEND_TEST_DRIVERS/misbehave.so"
  uv driver register misbehave.so >/dev/null
  UNIVEND_PIN=1111 uv clerk add clerk1 --name One --role clerk >/dev/null
  uv customer add C1 --name "Crash Test" >/dev/null
  uv tariff add RES --price 1.00 >/dev/null
  uv meter add 1111 --type TST-M1 --customer C1 --tariff RES >/dev/null
  uv meter add 2222 --type TST-M1 --customer C1 --tariff RES >/dev/null
  printf 'driver.misbehave.fault = crash-credit\ndriver.misbehave.meter = 1111\n' >>"$T/kiosk/univend.conf"
  kiosk_start
  login clerk1 1111
  keys 1
  wait_for "Type the meter number"
  typed 1111
  wait_for "Found"
  keys Enter
  wait_for "Type the amount paid"
  typed 10; keys Enter
  wait_for "Enter or F10: sell and issue the token"
  keys Enter
  wait_for "driver misbehave crashed"
  not_on_screen "TOKEN  [0-9]{4}"
  alive || die "the kiosk died with its driver"
  keys Escape; keys Escape; keys Escape
  wait_for "0  Log out"
  sell 2222 10
  grep -Eq "Receipt +1 " <<<"$SCREEN" || die "the sale after the crash is not receipt 1"
  keys Enter
  wait_for "Type the meter number"
  kiosk_stop
  [ "$(receipt_count)" -eq 1 ] || die "expected exactly the one sale"
  expect_rc 0 uv store verify
}

# The disk fills while the kiosk runs: the clerk sees why the sale cannot be
# made, the kiosk keeps running, and once space is freed it sells again.
kiosk_full_disk() {
  mkdir -p "$T/disk/kiosk"
  ln -s "$T/disk/kiosk" "$T/kiosk"
  demo_kiosk
  kiosk_start
  login clerk1 1111
  sell 01234567897 10.00
  local tokens=1 i full="disk (holding the database )?is full"
  keys Enter # a new sale
  wait_for "Type the meter number"
  fill_disk
  # sales go on in the room Berkeley DB holds; what each one changed is
  # written when the kiosk waits for the next key, and soon a page needs
  # room that is not there: the next step says so
  for i in $(seq 1 40); do
    typed 01234567897
    wait_for "Found|Cannot read the meters"
    if grep -q "Cannot read the meters" <<<"$SCREEN"; then
      keys Enter
      wait_for "$full"
      break
    fi
    keys Enter
    wait_for "Type the amount paid|$full"
    grep -Eq -- "$full" <<<"$SCREEN" && break
    typed 10.00; keys Enter
    wait_for "Enter or F10: sell and issue the token|$full"
    grep -Eq -- "$full" <<<"$SCREEN" && break
    keys Enter
    wait_for "TOKEN  [0-9]{4} [0-9]{4}|$full"
    grep -Eq -- "$full" <<<"$SCREEN" && break
    tokens=$((tokens + 1))
    keys Enter
    wait_for "Type the meter number"
  done
  grep -Eq -- "$full" <<<"$SCREEN" || die "40 sales on a full disk and no word of it"
  echo "# sales made on the full disk before the kiosk said it was full: $((tokens - 1))"
  not_on_screen "TOKEN  [0-9]{4}"
  not_on_screen "cannot continue"
  sleep 0.5
  alive || die "the kiosk ended on a full disk"
  free_disk
  # the same step again: the database is recovered first
  keys Enter
  if grep -q "Type the meter number" <<<"$SCREEN"; then
    wait_for "Type the amount paid"
    typed 10.00; keys Enter
    wait_for "Enter or F10: sell and issue the token"
    keys Enter
  elif grep -q "Type the amount paid" <<<"$SCREEN"; then
    typed 10.00; keys Enter
    wait_for "Enter or F10: sell and issue the token"
    keys Enter
  fi
  wait_for "TOKEN  [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}"
  tokens=$((tokens + 1))
  kiosk_stop
  expect_rc 0 uv store verify
  expect_out "receipts: $tokens, numbered 1..$tokens "
}
test_kiosk_full_disk_shows_why_and_keeps_running() { small_disk 24m kiosk_full_disk; }
