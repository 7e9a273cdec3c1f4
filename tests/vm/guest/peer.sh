#!/bin/bash
# The peer guest's program (tests/vm/peer.ts): its links up, then the
# agent that runs what the scenario sends over ctl, until the scenario
# says goodbye (lib_peer.sh peer_bye) or the rig stops the guest.
. "$XETH_ROOT/tests/vm/lib.sh"
. "$XETH_ROOT/tests/vm/lib_peer.sh"
peer_links || exit 1
echo "# peer: wan ($PEER_WAN) and ctl ($PEER_CTL) are up; the agent listens on ${PEER_CTL_ADDR[peer]}:$PEER_CTL_PORT"
exec deno run -A --cached-only "$XETH_ROOT/tests/vm/tools/peer_agent.ts" \
	"${PEER_CTL_ADDR[peer]}" "$PEER_CTL_PORT"
