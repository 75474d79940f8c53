/**
 * Direct routing ({@code gate}) and IP tunnelling ({@code ipip}): lbd forwards the client-to-server half of each
 * TCP connection and UDP flow by rewriting only the Ethernet addresses (gate), or by wrapping the client's packet in an IPv4
 * (IPv6) header to the real server (ipip); real servers answer clients directly. VIP traffic is received on every
 * ingress interface the control plane chose; each destination's packets leave as its published
 * {@link lbd.dataplane.table.Egress} says (interface, MACs, tunnel addresses, MTU).
 *
 * <ul>
 *   <li>{@code sys}: libc through FFM (no JNI): AF_PACKET sockets in a PACKET_FANOUT (flow hash) group per
 *       interface when there are several workers, a classic BPF filter that passes only ARP and frames for the DR VIPs, a TPACKET_V3 receive
 *       ring per socket (recvmsg fallback), sendmmsg batches (each frame naming its egress interface), and a
 *       virtio-net header on every frame (PACKET_VNET_HDR) so that coalesced (GRO/TSO) frames and frames with
 *       offloaded checksums are segmented and completed by the kernel on the way out (by lbd itself for ipip).
 *       </li>
 *   <li>{@code xdp} ({@code xdp=yes}): an XDP program, assembled here and loaded through bpf(2), on each ingress
 *       interface takes the services' frames to an AF_XDP socket per receive queue and worker, before the kernel's
 *       packet taps; what it leaves reaches the AF_PACKET sockets, whose fanout then follows the receive queue
 *       (a classic BPF fanout program) so that a connection's frames reach one worker by either path.</li>
 *   <li>{@code packet}: allocation-free parsers and writers over native memory (Ethernet, one VLAN tag, IPv4
 *       with options, TCP, UDP, ARP), the ipip outer headers, ICMP "fragmentation needed" and ICMPv6 "packet too
 *       big", the Internet checksum.</li>
 *   <li>{@code flow}: the per-worker connection table (TCP connections and UDP flows, keyed apart) and IPVS's
 *       input-only TCP state machine and timeouts (UDP's one state and timeout too), expired on a timer wheel.</li>
 * </ul>
 *
 * <p>The host — which interfaces, their MACs, the forwarding and VIP checks, the routes to the real servers and
 * their next hops' MACs (/proc/net/arp, then ARP requests), gratuitous ARP — is the control plane's
 * (lb-director's {@code lbd.director.dr}); this package reads no file and runs no process.
 *
 * <p>What is dropped (each counted in {@link lbd.dataplane.dr.DrStats}): IP fragments, a UDP datagram's first one
 * too (lbd does not reassemble; a DR segment shares the MTU with its real servers, so fragments are rare), frames
 * neither TCP nor UDP, non-IP frames, truncated or malformed frames, and any TCP packet of an unknown flow that is
 * not a SYN (as IPVS, lbd only schedules TCP on SYN; a UDP datagram of no flow starts one). A frame that still carries a VLAN tag is left to the VLAN's own interface (the filter drops
 * it on the parent).
 *
 * <p>Each worker schedules with its own scheduler instance (per-core tables, as in NAT mode), so rr
 * alternates strictly per worker; across workers the split evens out over many connections.
 */
package lbd.dataplane.dr;
