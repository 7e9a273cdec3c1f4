# Helpers for VM scenarios (sourced by tests/vm/scenarios/*.sh, run in the
# guest as root). Output is TAP; `finish` prints "N passed, N failed" and
# sets the exit code.

XETH_ROOT=${XETH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
XETH_KO=$XETH_ROOT/build/kernel/$(uname -r)/xeth.ko
# our iproute2 link plugins parse each kind's options
export IP_LIB_DIR=$XETH_ROOT/build/iproute2

# The machine's time scale (tests/vm/calibrate.ts; the rig passes it on):
# every bound a scenario waits on is multiplied by it, so that a slow or
# busy machine gets more time, not a failure.
XETH_TIME_SCALE=${XETH_TIME_SCALE:-1}

_tap_n=0
_tap_pass=0
_tap_fail=0

ok() { # ok DESCRIPTION: a passing check
	_tap_n=$((_tap_n + 1))
	_tap_pass=$((_tap_pass + 1))
	echo "ok $_tap_n - $1"
}

not_ok() { # not_ok DESCRIPTION [DETAIL...]
	_tap_n=$((_tap_n + 1))
	_tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /'
	done
}

check() { # check DESCRIPTION CMD...: passes when CMD exits 0
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc" "command: $*" "$out"
	fi
}

check_fails() { # check_fails DESCRIPTION CMD...: passes when CMD exits non-zero
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		not_ok "$desc" "command unexpectedly succeeded: $*" "$out"
	else
		ok "$desc"
	fi
}

check_eq() { # check_eq DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2" "actual:   $3"
	fi
}

scaled() { # scaled SECONDS: SECONDS times the time scale, rounded up
	awk -v s="$1" -v f="$XETH_TIME_SCALE" \
		'BEGIN { v = s * f; printf "%d\n", v == int(v) ? v : int(v) + 1 }'
}

wait_for() { # wait_for SECONDS CMD...: retries CMD (quietly) until it
	# passes, for up to SECONDS (scaled); then runs it once more, with its
	# output, and returns its status
	local until
	until=$((SECONDS + $(scaled "$1")))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $until ] || {
			"$@"
			return
		}
		sleep 0.2
	done
}

yields() { # yields EXPECTED CMD...: CMD prints EXPECTED; for wait_for, which
	# runs it again on each try (`wait_for N test "$(CMD)" = X` would run CMD
	# once, before the first try, and wait for nothing)
	local want=$1
	shift
	[ "$("$@")" = "$want" ]
}

switchd_ask() { # switchd_ask SOCKET WHAT: what `show WHAT --json` prints,
	# asked of a running SWITCHD through its control socket by
	# tools/control.py: Python starts in a second or two in a TCG guest,
	# Deno with SWITCHD's modules in ten or more
	python3 "$XETH_ROOT/tests/vm/tools/control.py" "$1" "$2"
}

# Named cases, as netdevsim's selftests list ALL_TESTS: a scenario defines
# case_NAME functions and ALL_CASES="NAME ..." (a line of its own, read by
# the rig too), then calls run_cases. The rig runs some of them with
# `deno task vm SCENARIO:NAME,NAME`.
_cases_done=" "
run_cases() {
	local c
	for c in ${XETH_CASES:-$ALL_CASES}; do
		if [ "$(type -t "case_$c")" != function ]; then
			not_ok "case $c exists" "cases: $ALL_CASES"
			continue
		fi
		echo "# case: $c"
		_cases_done+="$c "
		"case_$c"
	done
}

# needs CASE...: a case that builds on what earlier cases of its scenario
# made calls this first. Cases that have not run yet (the case runs alone,
# SCENARIO:NAME) run now, quietly: their checks are not counted, but a
# failure among them is, as one failed check with their failing lines.
needs() {
	local c log n p f failed
	for c; do
		case $_cases_done in *" $c "*) continue ;; esac
		_cases_done+="$c "
		n=$_tap_n p=$_tap_pass f=$_tap_fail
		log=$(mktemp)
		echo "# needs: $c (its checks not counted)"
		"case_$c" >"$log" 2>&1
		failed=$((_tap_fail - f))
		_tap_n=$n _tap_pass=$p _tap_fail=$f
		if [ "$failed" -gt 0 ]; then
			not_ok "case $c, which this case builds on, passes" \
				"$(grep -A3 '^not ok' "$log" | head -20)"
		fi
		rm -f "$log"
	done
}

# XETH_FULL=1 (`deno task test --full`): the heavy loads. Without it a
# scenario uses loads just large enough to prove the same behaviour.
full() { [ "${XETH_FULL:-0}" = 1 ]; }
sized() { # sized DEFAULT FULL: DEFAULT, or FULL under XETH_FULL=1
	if full; then echo "$2"; else echo "$1"; fi
}

load_xeth() { # insmod the module built for this kernel
	insmod "$XETH_KO"
}

# Names of links of a given kind, one per line (from ip -d -j).
links_of_kind() {
	ip -d -j link show | jq -r --arg k "$1" '.[] | select(.linkinfo.info_kind == $k) | .ifname'
}

finish() {
	echo "1..$_tap_n"
	echo "$_tap_pass passed, $_tap_fail failed"
	[ "$_tap_fail" = 0 ]
}
