"""Counts ICMP echo requests leaving and echo replies arriving, per network device, in the
network namespace it runs in (start it with `ip netns exec NS`). Unlike the devices' packet
counters, ARP and other background traffic do not move these numbers.

Prints "ready" once listening; on end of stdin prints {"out": {dev: n}, "in": {dev: n}} as JSON
and exits."""
import json
import select
import socket
import sys

ETH_P_ALL = 0x0003
ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD
ECHO = {ETHERTYPE_IPV4: (1, 8, 0), ETHERTYPE_IPV6: (58, 128, 129)}   # proto, request, reply


def echo_kind(frame):
    """'request', 'reply' or None for an Ethernet frame."""
    if len(frame) < 14:
        return None
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype not in ECHO:
        return None
    proto, request, reply = ECHO[ethertype]
    ip = frame[14:]
    if ethertype == ETHERTYPE_IPV4:
        if len(ip) < 20 or ip[9] != proto:
            return None
        icmp = ip[(ip[0] & 0x0F) * 4:]
    else:
        if len(ip) < 40 or ip[6] != proto:
            return None
        icmp = ip[40:]
    if not icmp:
        return None
    return {request: "request", reply: "reply"}.get(icmp[0])


def count(sock, counts):
    frame, (ifname, _proto, pkttype, _hatype, _addr) = sock.recvfrom(65600)
    kind = echo_kind(frame)
    if kind == "request" and pkttype == socket.PACKET_OUTGOING:
        counts["out"][ifname] = counts["out"].get(ifname, 0) + 1
    elif kind == "reply" and pkttype != socket.PACKET_OUTGOING:
        counts["in"][ifname] = counts["in"].get(ifname, 0) + 1


def main():
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    counts = {"out": {}, "in": {}}
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([sock, sys.stdin], [], [])
        if sock in readable:
            count(sock, counts)
        if sys.stdin in readable and not sys.stdin.readline():
            break
    # what arrived before the stop request
    while select.select([sock], [], [], 0.05)[0]:
        count(sock, counts)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
