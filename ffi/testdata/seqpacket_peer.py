#!/usr/bin/env python3
"""A SOCK_SEQPACKET listener that plays the kernel's side of a side-band
connection for ffi/sideband_test.ts.

usage: seqpacket_peer.py NAME MODE [ARG]
  burst N      accept, send N messages (sizes and bytes from message(i)),
               print "sent N", then wait for the client to close
  close N      accept, send N messages, close
  echo N       accept, receive N messages, send each back, wait for close
  delay MS     accept, sleep MS, send one message, wait for close
  silent       accept, wait for close

It prints "listening" once bound, and on exit one line
"received K" with the number of messages it received.
"""
import socket
import sys
import time


def message(i):
    # Sizes cover 1 byte, the 16-byte header, typical bodies and the
    # 9728-byte maximum; bytes depend on i so that reordering shows.
    size = [16, 1, 9728, 40, 300, 9728, 72][i % 7]
    return bytes((i * 31 + j) % 256 for j in range(size))


def main():
    name, mode = sys.argv[1], sys.argv[2]
    arg = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind("\0" + name)
    ls.listen(1)
    print("listening", flush=True)
    conn, _ = ls.accept()
    received = 0
    if mode in ("burst", "close"):
        for i in range(arg):
            conn.send(message(i))
        print("sent %d" % arg, flush=True)
        if mode == "close":
            conn.close()
            print("received 0", flush=True)
            return
    elif mode == "echo":
        for _ in range(arg):
            m = conn.recv(65536)
            received += 1
            conn.send(m)
    elif mode == "delay":
        time.sleep(arg / 1000)
        conn.send(message(0))
    while True:
        m = conn.recv(65536)
        if not m:
            break
        received += 1
    print("received %d" % received, flush=True)


main()
