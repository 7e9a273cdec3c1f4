# The fabric of lab/fabric.yaml as the scenario (scenarios/lab_fabric.sh)
# and the demo (demo/fabric.sh) see it; sourced after lib_switch.sh.

LAB="deno run --allow-run --allow-read --allow-write --allow-env --allow-net --cached-only $XETH_ROOT/lab/main.ts"
FILE=$XETH_ROOT/lab/fabric.yaml
DIR=/run/xeth-lab/fab

routed() { # routed SWITCH: the figure `routed` of its SWITCH
	SW_CTL=$DIR/$1.sock sw_stat routed
}
hops() { # hops SWITCH PREFIX: next hops of the switch's kernel route
	local r f=-4
	[[ $2 == *:* ]] && f=-6
	r=$(ip -n "fab-$1" $f -j route show "$2")
	jq -r '.[0] | if .nexthops then (.nexthops | length) elif .dst then 1 else 0 end' <<<"$r"
}
has_hops() { [ "$(hops "$1" "$2")" = "$3" ]; } # has_hops SWITCH PREFIX N
