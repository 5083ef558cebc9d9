"""Counts packets per network device in the network namespace it runs in (start it with
`ip netns exec NS`): ICMP echo requests leaving and echo replies arriving (`echo`), or TCP
segments to and from a port (`tcp PORT`). Unlike the devices' own counters, ARP and other
background traffic do not move these numbers.

Prints "ready" once listening; on end of stdin prints {"out": {dev: n}, "in": {dev: n},
"src": {dev: [source addresses of the packets counted out]}, "bytes": {"out": {dev: n},
"in": {dev: n}}} as JSON and exits (bytes: of the frames counted, headers included; a
segmentation-offloaded frame is one packet of many segments' bytes, so compare bytes when
how much went where matters)."""
import json
import select
import socket
import sys

ETH_P_ALL = 0x0003
ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD
ECHO = {ETHERTYPE_IPV4: (1, 8, 0), ETHERTYPE_IPV6: (58, 128, 129)}   # proto, request, reply
TCP = 6
SO_RCVBUFFORCE = 33


def ip_payload(frame):
    """(ethertype, protocol, payload, source address) of an IPv4/IPv6 Ethernet frame, else
    None."""
    if len(frame) < 14:
        return None
    ethertype = int.from_bytes(frame[12:14], "big")
    ip = frame[14:]
    if ethertype == ETHERTYPE_IPV4 and len(ip) >= 20:
        return ethertype, ip[9], ip[(ip[0] & 0x0F) * 4:], socket.inet_ntop(socket.AF_INET, ip[12:16])
    if ethertype == ETHERTYPE_IPV6 and len(ip) >= 40:
        return ethertype, ip[6], ip[40:], socket.inet_ntop(socket.AF_INET6, ip[8:24])
    return None


def classify(frame, outgoing, port):
    """('out' or 'in', source address), or None: whether the frame is one of the packets being
    counted."""
    parsed = ip_payload(frame)
    if not parsed:
        return None
    ethertype, proto, payload, source = parsed
    if port is None:
        want, request, reply = ECHO[ethertype]
        if proto != want or not payload:
            return None
        if outgoing and payload[0] == request:
            return "out", source
        if not outgoing and payload[0] == reply:
            return "in", source
        return None
    if proto != TCP or len(payload) < 4:
        return None
    sport, dport = int.from_bytes(payload[0:2], "big"), int.from_bytes(payload[2:4], "big")
    if outgoing and dport == port:
        return "out", source
    if not outgoing and sport == port:
        return "in", source
    return None


def count(sock, counts, port):
    frame, (ifname, _proto, pkttype, _hatype, _addr) = sock.recvfrom(65600)
    seen = classify(frame, pkttype == socket.PACKET_OUTGOING, port)
    if not seen:
        return
    way, source = seen
    counts[way][ifname] = counts[way].get(ifname, 0) + 1
    counts["bytes"][way][ifname] = counts["bytes"][way].get(ifname, 0) + len(frame)
    if way == "out":
        sources = counts["src"].setdefault(ifname, [])
        if source not in sources:
            sources.append(source)


def main():
    port = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "tcp" else None
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:   # room for bulk transfers' 64 KiB offloaded frames while this reads them
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    except OSError:
        pass
    counts = {"out": {}, "in": {}, "src": {}, "bytes": {"out": {}, "in": {}}}
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([sock, sys.stdin], [], [])
        if sock in readable:
            count(sock, counts, port)
        if sys.stdin in readable and not sys.stdin.readline():
            break
    # what arrived before the stop request
    while select.select([sock], [], [], 0.05)[0]:
        count(sock, counts, port)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
