/*
 * xdp-floor.c — the least an AF_XDP direct-routing forwarder can cost on this kernel: what lbd's DR path could reach
 * if it received through AF_XDP instead of an AF_PACKET ring. dr-bench.sh --xdp-floor runs it in the director's
 * namespace beside the kernel's forwarding and lbd, as benchmarks/health/connect-floor.c is the floor of a health
 * check. Not part of lbd; it does nothing per packet but what a gate forwarder must: a look-up-free MAC rewrite.
 *
 * An XDP program on IN (assembled below: no compiler for BPF is needed) takes the untagged IPv4 frames addressed to
 * VIP and redirects them to an AF_XDP socket on IN's queue 0; everything else goes on to the kernel. The program
 * runs before the packet taps and the ingress hooks, so the frame costs the receiving CPU no skb past that point:
 * no tpacket copy, no nft look-up, no IP layer. The loop copies each frame into a second socket's memory on OUT
 * with DSTMAC and OUT's MAC, and kicks that socket's transmission once per batch. Both sockets are copy mode (veth
 * has no zero-copy); MODE "skb" attaches the program generically, "drv" in the driver (veth's native XDP).
 *
 * The program is attached through a BPF link: it is detached when the process ends, however it ends.
 *
 * Build: gcc -O2 -o xdp-floor xdp-floor.c     Run (root): xdp-floor IN OUT VIP DSTMAC skb|drv
 * Prints the frames forwarded and dropped (no free transmit buffer) when it gets SIGTERM or SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#define FRAMES 4096 /* per socket's memory (UMEM) */
#define FRAME 2048  /* bytes per frame */
#define RING 2048   /* descriptors per ring */
#define BATCH 64

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }
static long bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }
static void die(const char *what) { fprintf(stderr, "xdp-floor: %s: %s\n", what, strerror(errno)); exit(1); }

struct ring { uint32_t *producer, *consumer, *flags; void *desc; uint32_t mask; };
struct xsk { int fd; unsigned char *umem; struct ring rx, tx, fill, completion; };

static void map_ring(int fd, struct ring *r, const struct xdp_ring_offset *o, off_t page, size_t entry) {
    char *m = mmap(NULL, o->desc + RING * entry, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, page);
    if (m == MAP_FAILED) die("mmap a ring");
    r->producer = (uint32_t *)(m + o->producer);
    r->consumer = (uint32_t *)(m + o->consumer);
    r->flags = (uint32_t *)(m + o->flags);
    r->desc = m + o->desc;
    r->mask = RING - 1;
}

static void set_ring(int fd, int option, const char *what) {
    int n = RING;
    if (setsockopt(fd, SOL_XDP, option, &n, sizeof n)) die(what);
}

/* An AF_XDP socket with its own UMEM on queue 0 of ifindex: a receiving (rx) or a sending one. */
static void xsk_open(struct xsk *x, int ifindex, int rx, uint16_t bind_flags) {
    x->fd = socket(AF_XDP, SOCK_RAW, 0);
    if (x->fd < 0) die("socket(AF_XDP)");
    x->umem = mmap(NULL, (size_t)FRAMES * FRAME, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    if (x->umem == MAP_FAILED) die("mmap the UMEM");
    struct xdp_umem_reg reg = { .addr = (uint64_t)(uintptr_t)x->umem, .len = (uint64_t)FRAMES * FRAME,
                                .chunk_size = FRAME };
    if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof reg)) die("XDP_UMEM_REG");
    set_ring(x->fd, XDP_UMEM_FILL_RING, "XDP_UMEM_FILL_RING");
    set_ring(x->fd, XDP_UMEM_COMPLETION_RING, "XDP_UMEM_COMPLETION_RING");
    set_ring(x->fd, rx ? XDP_RX_RING : XDP_TX_RING, rx ? "XDP_RX_RING" : "XDP_TX_RING");
    struct xdp_mmap_offsets off;
    socklen_t len = sizeof off;
    if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len)) die("XDP_MMAP_OFFSETS");
    map_ring(x->fd, &x->fill, &off.fr, XDP_UMEM_PGOFF_FILL_RING, sizeof(uint64_t));
    map_ring(x->fd, &x->completion, &off.cr, XDP_UMEM_PGOFF_COMPLETION_RING, sizeof(uint64_t));
    if (rx) map_ring(x->fd, &x->rx, &off.rx, XDP_PGOFF_RX_RING, sizeof(struct xdp_desc));
    else map_ring(x->fd, &x->tx, &off.tx, XDP_PGOFF_TX_RING, sizeof(struct xdp_desc));
    struct sockaddr_xdp sa = { .sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = 0,
                               .sxdp_flags = bind_flags };
    if (bind(x->fd, (struct sockaddr *)&sa, sizeof sa)) die("bind the AF_XDP socket");
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* XDP: untagged IPv4 frames to vip (network order) go to xsks[rx_queue_index]; any other frame to the kernel. */
static int load_program(int xsks, uint32_t vip) {
    struct bpf_insn prog[] = {
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),          /* 0: r6 = ctx */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0),            /* 1: r2 = ctx->data */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 4, 0),            /* 2: r3 = ctx->data_end */
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0),          /* 3: r4 = data */
        INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 34),         /* 4: r4 += Ethernet + IPv4 header */
        INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 10, 0),           /* 5: shorter: to the kernel (16) */
        INSN(BPF_LDX | BPF_H | BPF_MEM, 5, 2, 12, 0),           /* 6: r5 = EtherType */
        INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 8, htons(0x0800)),/* 7: not IPv4: to the kernel */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 2, 30, 0),           /* 8: r5 = destination address */
        INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 6, (int32_t)vip), /* 9: not the VIP: to the kernel */
        INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, xsks), INSN(0, 0, 0, 0, 0), /* 10-11: r1 = xsks */
        INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 6, 16, 0),           /* 12: r2 = ctx->rx_queue_index */
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS),   /* 13: no socket on the queue: to the kernel */
        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map), /* 14 */
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                   /* 15 */
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS),   /* 16: to the kernel */
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                   /* 17 */
    };
    static char log[65536];
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_XDP;
    a.insns = (uint64_t)(uintptr_t)prog;
    a.insn_cnt = sizeof prog / sizeof prog[0];
    a.license = (uint64_t)(uintptr_t)"GPL";
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    int fd = bpf(BPF_PROG_LOAD, &a);
    if (fd < 0) { fprintf(stderr, "%s", log); die("BPF_PROG_LOAD"); }
    return fd;
}

static void read_mac(const char *ifname, unsigned char mac[6]) {
    char path[128];
    snprintf(path, sizeof path, "/sys/class/net/%s/address", ifname);
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", mac, mac + 1, mac + 2, mac + 3, mac + 4, mac + 5) != 6)
        die(path);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 6 || (strcmp(argv[5], "skb") && strcmp(argv[5], "drv"))) {
        fprintf(stderr, "usage: xdp-floor IN OUT VIP DSTMAC skb|drv\n");
        return 2;
    }
    int in = if_nametoindex(argv[1]), out = if_nametoindex(argv[2]);
    if (!in || !out) die("interface");
    uint32_t vip;
    if (inet_pton(AF_INET, argv[3], &vip) != 1) { fprintf(stderr, "xdp-floor: bad VIP %s\n", argv[3]); return 2; }
    unsigned char dst[6], src[6];
    if (sscanf(argv[4], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", dst, dst + 1, dst + 2, dst + 3, dst + 4, dst + 5) != 6) {
        fprintf(stderr, "xdp-floor: bad MAC %s\n", argv[4]);
        return 2;
    }
    read_mac(argv[2], src);

    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_XSKMAP;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    int xsks = bpf(BPF_MAP_CREATE, &a);
    if (xsks < 0) die("BPF_MAP_CREATE");
    int prog = load_program(xsks, vip);

    struct xsk rx, tx;
    xsk_open(&rx, in, 1, XDP_COPY | XDP_USE_NEED_WAKEUP);
    xsk_open(&tx, out, 0, XDP_COPY);
    uint32_t queue = 0;
    int fd = rx.fd;
    memset(&a, 0, sizeof a);
    a.map_fd = xsks;
    a.key = (uint64_t)(uintptr_t)&queue;
    a.value = (uint64_t)(uintptr_t)&fd;
    if (bpf(BPF_MAP_UPDATE_ELEM, &a)) die("BPF_MAP_UPDATE_ELEM");
    memset(&a, 0, sizeof a);
    a.link_create.prog_fd = prog;
    a.link_create.target_ifindex = in;
    a.link_create.attach_type = BPF_XDP;
    a.link_create.flags = strcmp(argv[5], "drv") ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    if (bpf(BPF_LINK_CREATE, &a) < 0) die("BPF_LINK_CREATE");

    /* Every receive frame starts in the fill ring; every transmit frame is free. */
    for (uint32_t i = 0; i < RING; i++) ((uint64_t *)rx.fill.desc)[i] = (uint64_t)i * FRAME;
    uint32_t fill_producer = RING;
    __atomic_store_n(rx.fill.producer, fill_producer, __ATOMIC_RELEASE);
    static uint64_t free_tx[FRAMES];
    uint32_t free_count = 0;
    for (uint32_t i = 0; i < FRAMES; i++) free_tx[free_count++] = (uint64_t)i * FRAME;

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    fprintf(stderr, "xdp-floor: forwarding %s to %s from %s (%s mode)\n", argv[3], argv[2], argv[1], argv[5]);
    uint64_t forwarded = 0, dropped = 0;
    uint32_t rx_consumer = 0, tx_producer = 0, completion_consumer = 0;
    while (!stop) {
        uint32_t n = __atomic_load_n(rx.rx.producer, __ATOMIC_ACQUIRE) - rx_consumer;
        if (n == 0) {
            if (*rx.fill.flags & XDP_RING_NEED_WAKEUP) recvfrom(rx.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
            continue; /* a busy poll, as lbd's worker under load */
        }
        if (n > BATCH) n = BATCH;
        uint32_t done = __atomic_load_n(tx.completion.producer, __ATOMIC_ACQUIRE);
        while (completion_consumer != done)
            free_tx[free_count++] = ((uint64_t *)tx.completion.desc)[completion_consumer++ & tx.completion.mask];
        __atomic_store_n(tx.completion.consumer, completion_consumer, __ATOMIC_RELEASE);
        uint32_t sent = 0;
        for (uint32_t i = 0; i < n; i++) {
            struct xdp_desc *d = &((struct xdp_desc *)rx.rx.desc)[(rx_consumer + i) & rx.rx.mask];
            unsigned char *frame = rx.umem + d->addr;
            if (free_count == 0) {
                dropped++;
            } else {
                uint64_t at = free_tx[--free_count];
                unsigned char *copy = tx.umem + at;
                memcpy(copy, dst, 6);
                memcpy(copy + 6, src, 6);
                memcpy(copy + 12, frame + 12, d->len - 12);
                struct xdp_desc *t = &((struct xdp_desc *)tx.tx.desc)[tx_producer++ & tx.tx.mask];
                t->addr = at;
                t->len = d->len;
                t->options = 0;
                sent++;
            }
            /* aligned chunks: the chunk's start goes back, whatever headroom the kernel put before the frame */
            ((uint64_t *)rx.fill.desc)[fill_producer++ & rx.fill.mask] = d->addr & ~(uint64_t)(FRAME - 1);
        }
        rx_consumer += n;
        __atomic_store_n(rx.rx.consumer, rx_consumer, __ATOMIC_RELEASE);
        __atomic_store_n(rx.fill.producer, fill_producer, __ATOMIC_RELEASE);
        if (sent) {
            __atomic_store_n(tx.tx.producer, tx_producer, __ATOMIC_RELEASE);
            sendto(tx.fd, NULL, 0, MSG_DONTWAIT, NULL, 0); /* copy mode sends on this call */
            forwarded += sent;
        }
    }
    fprintf(stderr, "xdp-floor: forwarded %llu, dropped %llu\n", (unsigned long long)forwarded,
            (unsigned long long)dropped);
    return 0;
}
