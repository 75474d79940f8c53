package lbd.director.dr;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import lbd.dataplane.dr.packet.Net;

/**
 * One nf_tables transaction as the kernel reads it from a netlink socket (NETLINK_NETFILTER): a batch-begin
 * message, the changes, a batch-end message; the kernel applies all of it or none. Only what {@link KernelCopyDrop}
 * asks for is here: a {@code netdev} table, an ingress base chain per interface, sets of services with a counter
 * per element, and rules that drop the packets whose service is in a set. Header fields are in host order, as
 * netlink has them; nf_tables' numeric attributes are big-endian, as libnftnl writes them. Every change message
 * asks for an acknowledgement, so that the sender learns which one failed.
 *
 * <p>A rule is what {@code nft} makes of {@code ether daddr MAC ether type ip meta l4proto . ip daddr . th dport @SET
 * counter drop} (ip6 and its daddr for IPv6; without {@code th dport} for a set of port-0 services). The MAC is the
 * interface's own and the Ethernet type is the frame's, read from its header: a frame for a macvlan's MAC, or one
 * whose VLAN tag the NIC took off (its type reads 0x8100 there), belongs to another interface, which hooks later
 * (the parent's ingress runs before its VLANs' and macvlans'), and is left to it. The concatenation's
 * parts go to consecutive 32-bit registers from register 1, each padded to 4 bytes, and the set's keys are laid
 * out the same way. The netdev family sets the network and transport headers for IPv4 and IPv6 frames, so
 * {@code th dport} works there; a fragment after the first has no transport header and does not match. One
 * look-up per set, whatever the number of services: a rule per service cost every frame on the interface a
 * comparison per service (half of the receiving CPU with 50 services, in dr-bench).
 *
 * <p>Not thread-safe; one batch per transaction.
 */
final class NfTablesBatch {

    static final int NFPROTO_NETDEV = 5;
    static final int NFT_TABLE_F_OWNER = 0x2;

    private static final int NLMSG_HEADER = 16;
    private static final int NFGENMSG = 4;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short NLM_F_ACK = 0x4;
    private static final short NLM_F_CREATE = 0x400;
    private static final short NLM_F_APPEND = 0x800;
    private static final short NLA_F_NESTED = (short) 0x8000;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final short NFNL_MSG_BATCH_BEGIN = 16;
    private static final short NFNL_MSG_BATCH_END = 17;
    private static final int NFT_MSG_NEWTABLE = 0;
    private static final int NFT_MSG_NEWCHAIN = 3;
    private static final int NFT_MSG_NEWRULE = 6;
    private static final int NFT_MSG_DELRULE = 8;
    private static final int NFT_MSG_NEWSET = 9;
    private static final int NFT_MSG_NEWSETELEM = 12;
    private static final int NFT_MSG_DELSETELEM = 14;
    /** Elements per set-element message: an attribute nest's length is 16 bits (24 to 40 bytes an element). */
    private static final int ELEMENTS_PER_MESSAGE = 1000;
    private static final short NFTA_SET_TABLE = 1;
    private static final short NFTA_SET_NAME = 2;
    private static final short NFTA_SET_FLAGS = 3;
    private static final short NFTA_SET_KEY_TYPE = 4;
    private static final short NFTA_SET_KEY_LEN = 5;
    private static final short NFTA_SET_ID = 10;
    private static final short NFTA_SET_EXPR = 17;
    private static final short NFTA_SET_ELEM_LIST_TABLE = 1;
    private static final short NFTA_SET_ELEM_LIST_SET = 2;
    private static final short NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    private static final short NFTA_SET_ELEM_KEY = 1;
    private static final short NFTA_LOOKUP_SET = 1;
    private static final short NFTA_LOOKUP_SREG = 2;
    // attribute numbers (linux/netfilter/nf_tables.h)
    private static final short NFTA_TABLE_NAME = 1;
    private static final short NFTA_TABLE_FLAGS = 2;
    private static final short NFTA_CHAIN_TABLE = 1;
    private static final short NFTA_CHAIN_NAME = 3;
    private static final short NFTA_CHAIN_HOOK = 4;
    private static final short NFTA_CHAIN_POLICY = 5;
    private static final short NFTA_CHAIN_TYPE = 7;
    private static final short NFTA_HOOK_HOOKNUM = 1;
    private static final short NFTA_HOOK_PRIORITY = 2;
    private static final short NFTA_HOOK_DEV = 3;
    private static final short NFTA_RULE_TABLE = 1;
    private static final short NFTA_RULE_CHAIN = 2;
    private static final short NFTA_RULE_EXPRESSIONS = 4;
    private static final short NFTA_LIST_ELEM = 1;
    private static final short NFTA_EXPR_NAME = 1;
    private static final short NFTA_EXPR_DATA = 2;
    private static final short NFTA_META_DREG = 1;
    private static final short NFTA_META_KEY = 2;
    private static final short NFTA_CMP_SREG = 1;
    private static final short NFTA_CMP_OP = 2;
    private static final short NFTA_CMP_DATA = 3;
    private static final short NFTA_PAYLOAD_DREG = 1;
    private static final short NFTA_PAYLOAD_BASE = 2;
    private static final short NFTA_PAYLOAD_OFFSET = 3;
    private static final short NFTA_PAYLOAD_LEN = 4;
    private static final short NFTA_IMMEDIATE_DREG = 1;
    private static final short NFTA_IMMEDIATE_DATA = 2;
    private static final short NFTA_DATA_VALUE = 1;
    private static final short NFTA_DATA_VERDICT = 2;
    private static final short NFTA_VERDICT_CODE = 1;
    private static final int NF_NETDEV_INGRESS = 0;
    private static final int NF_DROP = 0;
    private static final int NF_ACCEPT = 1;
    private static final int NFT_REG_VERDICT = 0;
    private static final int NFT_REG_1 = 1;
    private static final int NFT_REG32_01 = 9; // the 32-bit register after NFT_REG_1's first
    private static final int NFT_META_L4PROTO = 16;
    private static final int NFT_META_IIFTYPE = 8;
    private static final int ARPHRD_ETHER = 1;
    private static final int NFT_CMP_EQ = 0;
    private static final int NFT_PAYLOAD_LL_HEADER = 0;
    private static final int NFT_PAYLOAD_NETWORK_HEADER = 1;
    private static final int NFT_PAYLOAD_TRANSPORT_HEADER = 2;

    private ByteBuffer buf = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
    private final Deque<Integer> open = new ArrayDeque<>(); // where each unfinished attribute nest starts
    private final int firstSeq;
    private int seq;
    private int message = -1; // where the message being written starts
    private int acknowledged;

    /** @param firstSeq the sequence number of the batch-begin message; the changes follow it, one each */
    NfTablesBatch(int firstSeq) {
        this.firstSeq = firstSeq;
        this.seq = firstSeq;
        batchMessage(NFNL_MSG_BATCH_BEGIN);
    }

    /** A table of the netdev family; {@code flags} {@link #NFT_TABLE_F_OWNER}: gone when the socket closes. */
    NfTablesBatch newTable(String table, int flags) {
        begin(NFT_MSG_NEWTABLE, NLM_F_CREATE);
        string(NFTA_TABLE_NAME, table);
        u32(NFTA_TABLE_FLAGS, flags);
        return end();
    }

    /** A filter base chain at {@code device}'s ingress hook, policy accept. */
    NfTablesBatch newIngressChain(String table, String chain, String device, int priority) {
        begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
        string(NFTA_CHAIN_TABLE, table);
        string(NFTA_CHAIN_NAME, chain);
        nest(NFTA_CHAIN_HOOK);
        u32(NFTA_HOOK_HOOKNUM, NF_NETDEV_INGRESS);
        u32(NFTA_HOOK_PRIORITY, priority);
        string(NFTA_HOOK_DEV, device);
        close();
        u32(NFTA_CHAIN_POLICY, NF_ACCEPT);
        string(NFTA_CHAIN_TYPE, "filter");
        return end();
    }

    /** Every rule of every chain of the table. */
    NfTablesBatch deleteRules(String table) {
        begin(NFT_MSG_DELRULE, (short) 0);
        string(NFTA_RULE_TABLE, table);
        return end();
    }

    /**
     * A set of {@code keyLength}-byte keys whose every element counts the packets it matched ({@code counter} in
     * the set's declaration); {@code keyType} is nft's name of the key's type, for listings only.
     */
    NfTablesBatch newCountedSet(String table, String name, int id, int keyType, int keyLength) {
        begin(NFT_MSG_NEWSET, NLM_F_CREATE);
        string(NFTA_SET_TABLE, table);
        string(NFTA_SET_NAME, name);
        u32(NFTA_SET_FLAGS, 0);
        u32(NFTA_SET_KEY_TYPE, keyType);
        u32(NFTA_SET_KEY_LEN, keyLength);
        u32(NFTA_SET_ID, id);
        nest(NFTA_SET_EXPR);
        string(NFTA_EXPR_NAME, "counter");
        nest(NFTA_EXPR_DATA);
        close();
        close();
        return end();
    }

    /** These keys into the set (none: nothing), in messages of at most {@link #ELEMENTS_PER_MESSAGE}. */
    NfTablesBatch addElements(String table, String name, List<byte[]> keys) {
        return elements(NFT_MSG_NEWSETELEM, NLM_F_CREATE, table, name, keys);
    }

    /** These keys out of the set (none: nothing). */
    NfTablesBatch removeElements(String table, String name, List<byte[]> keys) {
        return elements(NFT_MSG_DELSETELEM, (short) 0, table, name, keys);
    }

    private NfTablesBatch elements(int type, short flags, String table, String name, List<byte[]> keys) {
        for (int from = 0; from < keys.size(); from += ELEMENTS_PER_MESSAGE) {
            elementMessage(type, flags, table, name, keys.subList(from, Math.min(keys.size(),
                    from + ELEMENTS_PER_MESSAGE)));
        }
        return this;
    }

    private void elementMessage(int type, short flags, String table, String name, List<byte[]> keys) {
        begin(type, flags);
        string(NFTA_SET_ELEM_LIST_TABLE, table);
        string(NFTA_SET_ELEM_LIST_SET, name);
        nest(NFTA_SET_ELEM_LIST_ELEMENTS);
        for (byte[] key : keys) {
            nest(NFTA_LIST_ELEM);
            nest(NFTA_SET_ELEM_KEY);
            attribute(NFTA_DATA_VALUE, key);
            close();
            close();
        }
        close();
        end();
    }

    /**
     * Appends to {@code chain} a rule that counts and drops the untagged IPv4 (IPv6) frames to {@code mac} whose
     * transport protocol and destination address, and destination port when {@code port}, are an element of
     * {@code set}.
     */
    NfTablesBatch lookupDropRule(String table, String chain, long mac, String set, boolean v6, boolean port) {
        begin(NFT_MSG_NEWRULE, (short) (NLM_F_CREATE | NLM_F_APPEND));
        string(NFTA_RULE_TABLE, table);
        string(NFTA_RULE_CHAIN, chain);
        nest(NFTA_RULE_EXPRESSIONS);
        // An Ethernet interface (always, for the ones lbd receives on): what lets nft read the link header's fields
        // as "ether daddr" and "ether type" in its listing. The type is a host-order 16-bit number in the register.
        meta(NFT_META_IIFTYPE);
        equals(ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) ARPHRD_ETHER).array());
        payload(NFT_PAYLOAD_LL_HEADER, 0, 6, NFT_REG_1);
        byte[] destination = new byte[6];
        Net.putMac(MemorySegment.ofArray(destination), 0, mac);
        equals(destination);
        payload(NFT_PAYLOAD_LL_HEADER, 12, 2, NFT_REG_1);
        equals(v6 ? new byte[] {(byte) 0x86, (byte) 0xdd} : new byte[] {0x08, 0x00});
        meta(NFT_META_L4PROTO);
        int address = v6 ? 16 : 4;
        payload(NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, address, NFT_REG32_01);
        if (port) {
            payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01 + address / 4);
        }
        expression("lookup");
        string(NFTA_LOOKUP_SET, set);
        u32(NFTA_LOOKUP_SREG, NFT_REG_1);
        endExpression();
        expression("counter");
        endExpression();
        expression("immediate");
        u32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        nest(NFTA_IMMEDIATE_DATA);
        nest(NFTA_DATA_VERDICT);
        u32(NFTA_VERDICT_CODE, NF_DROP);
        close();
        close();
        endExpression();
        close();
        return end();
    }

    /** The batch, ended: the bytes to send in one datagram. */
    byte[] finish() {
        batchMessage(NFNL_MSG_BATCH_END);
        return Arrays.copyOf(buf.array(), buf.position());
    }

    /** The sequence number of the first message; the acknowledged ones follow it. */
    int firstSeq() {
        return firstSeq;
    }

    /** How many messages ask for an acknowledgement (all but the batch's two). */
    int acknowledged() {
        return acknowledged;
    }

    /** The sequence number the next batch should start at. */
    int nextSeq() {
        return seq;
    }

    private void meta(int key) {
        expression("meta");
        u32(NFTA_META_DREG, NFT_REG_1);
        u32(NFTA_META_KEY, key);
        endExpression();
    }

    private void payload(int base, int offset, int length, int register) {
        expression("payload");
        u32(NFTA_PAYLOAD_DREG, register);
        u32(NFTA_PAYLOAD_BASE, base);
        u32(NFTA_PAYLOAD_OFFSET, offset);
        u32(NFTA_PAYLOAD_LEN, length);
        endExpression();
    }

    private void equals(byte[] value) {
        expression("cmp");
        u32(NFTA_CMP_SREG, NFT_REG_1);
        u32(NFTA_CMP_OP, NFT_CMP_EQ);
        nest(NFTA_CMP_DATA);
        attribute(NFTA_DATA_VALUE, value);
        close();
        endExpression();
    }

    /** Opens a list element holding an expression named {@code name}, and its data; {@link #endExpression} closes both. */
    private void expression(String name) {
        nest(NFTA_LIST_ELEM);
        string(NFTA_EXPR_NAME, name);
        nest(NFTA_EXPR_DATA);
    }

    private void endExpression() {
        close();
        close();
    }

    private void batchMessage(short type) {
        startMessage(type, (short) NLM_F_REQUEST, 0, NFNL_SUBSYS_NFTABLES);
        finishMessage();
    }

    private void begin(int nftType, short flags) {
        startMessage((short) (NFNL_SUBSYS_NFTABLES << 8 | nftType), (short) (NLM_F_REQUEST | NLM_F_ACK | flags),
                NFPROTO_NETDEV, 0);
        acknowledged++;
    }

    private NfTablesBatch end() {
        if (!open.isEmpty()) {
            throw new IllegalStateException("unclosed attribute nest");
        }
        finishMessage();
        return this;
    }

    private void startMessage(short type, short flags, int family, int resId) {
        ensure(NLMSG_HEADER + NFGENMSG);
        message = buf.position();
        buf.putInt(0).putShort(type).putShort(flags).putInt(seq++).putInt(0); // length set in finishMessage
        buf.put((byte) family).put((byte) 0).put((byte) (resId >>> 8)).put((byte) resId); // res_id big-endian
    }

    private void finishMessage() {
        buf.putInt(message, buf.position() - message);
        message = -1;
    }

    /** Opens an attribute that holds attributes; {@link #close} ends the innermost one open. */
    private void nest(short type) {
        ensure(4);
        open.push(buf.position());
        buf.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
    }

    private void close() {
        int start = open.pop();
        int length = buf.position() - start;
        if (length > 0xFFFF) {
            throw new IllegalStateException("a netlink attribute of " + length + " bytes (at most 65535)");
        }
        buf.putShort(start, (short) length);
    }

    private void string(short type, String value) {
        byte[] s = value.getBytes(StandardCharsets.US_ASCII);
        attribute(type, Arrays.copyOf(s, s.length + 1));
    }

    private void u32(short type, int value) {
        attribute(type, ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(value).array());
    }

    private void attribute(short type, byte[] value) {
        int length = 4 + value.length;
        ensure(length + 3);
        buf.putShort((short) length).putShort(type).put(value);
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }

    private void ensure(int more) {
        if (buf.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more))
                    .order(ByteOrder.nativeOrder());
            bigger.put(buf.array(), 0, buf.position());
            buf = bigger;
        }
    }
}
