package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each error an operator can make reads as FILE:LINE: directive: what is wrong; what to do. */
class MalformedConfigTest {

    private static final String VIRTUAL = "virtual=10.0.0.1:80\n";

    @Test
    void unknownDirectiveSuggestsTheNearestKnownOne() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate\n\tchektype=connect\n"))
                .isEqualTo("test.cf:3: unknown directive \"chektype\"; did you mean \"checktype\"?");
        assertThat(Fixtures.onlyError("Virtual=10.0.0.1:80\n"))
                .isEqualTo("test.cf:1: unknown directive \"Virtual\"; did you mean \"virtual\"?");
        assertThat(Fixtures.onlyError("frobnicate=yes\n")).isEqualTo("test.cf:1: unknown directive \"frobnicate\";"
                + " see man ldirectord or the configuration reference in README.md for the directives lbd reads");
    }

    @Test
    void ldirectordsOldTimeoutDirectiveIsRefusedWithWhatReplacesIt() {
        assertThat(Fixtures.onlyError("timeout=5\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n")).isEqualTo("test.cf:1:"
                + " timeout: deprecated in favour of checktimeout and negotiatetimeout (ldirectord refuses it too);"
                + " write checktimeout= for connect, ping and external checks and negotiatetimeout= for negotiate"
                + " checks");
    }

    @Test
    void anUnknownLogLevelOrFormatIsAnErrorOnItsLine() {
        assertThat(Fixtures.onlyError("loglevel=verbose\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:1: loglevel: \"verbose\" is not error, warn, info or debug");
        assertThat(Fixtures.onlyError("logformat=logstash\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:1: logformat: \"logstash\" is not text or json");
    }

    /** The metrics endpoint binds where it is told: an address is required, and a wildcard one is warned about. */
    @Test
    void metricsNeedsAnAddressAndAWildcardOneIsWarnedAbout() {
        assertThat(Fixtures.onlyError("metrics=9100\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n")).startsWith("test.cf:1: metrics: ");
        assertThat(Fixtures.onlyError("metrics=127.0.0.1\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:1: metrics: no port; expected HOST:PORT, e.g. metrics=127.0.0.1:9100");
        assertThat(Fixtures.warnings("metrics=0.0.0.0:9100\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n"))
                .singleElement().asString().startsWith("test.cf:1: warning: metrics=0.0.0.0:9100 serves the metrics and the"
                        + " status page on every interface");
        assertThat(Fixtures.warnings("metrics=127.0.0.1:9100\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n")).isEmpty();
        assertThat(Fixtures.loaded(VIRTUAL + "\treal=10.0.0.2:80 gate\n").globals().metricsAddress())
                .as("off unless configured").isEmpty();
    }

    /** Found by LdirectordCfFuzzTest: protocol= was unquoted outside the reader, so its BadValue escaped. */
    @Test
    void aProtocolWithoutItsClosingQuoteIsAnErrorOnItsLine() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate\n\tprotocol=\"tcp\n"))
                .isEqualTo("test.cf:3: protocol: missing closing double quote in \"tcp");
    }

    @Test
    void perVirtualDirectiveOutsideABlock() {
        assertThat(Fixtures.onlyError("scheduler=wlc\n" + VIRTUAL))
                .isEqualTo("test.cf:1: scheduler: is only allowed inside a virtual service; write it indented under"
                        + " a virtual= line");
    }

    @Test
    void realNotIndentedUnderItsVirtual() {
        assertThat(Fixtures.onlyError("# web\n" + VIRTUAL + "real=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:3: real: is not indented, so it belongs to no virtual service; indent it with a"
                        + " tab or spaces under the virtual= on line 2");
    }

    @Test
    void indentedLineAfterAGlobalThatEndedTheBlock() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate\nquiescent=no\n\tservice=http\n"))
                .isEqualTo("test.cf:4: service: is indented but follows the unindented global quiescent= on line 3,"
                        + " which ended the virtual service of line 1; move that global directive above the first virtual=");
    }

    @Test
    void globalOnlyDirectiveInsideABlock() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\tlogfile=\"/tmp/x\"\n"))
                .isEqualTo("test.cf:2: logfile: is a global directive and cannot be set for one virtual service;"
                        + " write it unindented, above the first virtual= line");
    }

    @Test
    void typographicQuotesAreNamed() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\trequest=\u201Cindex.html\u201D\n"))
                .isEqualTo("test.cf:2: request: typographic quote LEFT DOUBLE QUOTATION MARK (U+201C) at column 10;"
                        + " use straight double quotes (\") instead");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treceive=\u2018ok\u2019\n"))
                .isEqualTo("test.cf:2: receive: typographic quote LEFT SINGLE QUOTATION MARK (U+2018) at column 10;"
                        + " use straight double quotes (\") instead");
        assertThat(Fixtures.onlyError(VIRTUAL + "\u00A0real=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:2: invisible NO-BREAK SPACE (U+00A0) at column 1; use plain spaces or a tab instead");
    }

    @Test
    void badAddresses() {
        assertThat(Fixtures.onlyError("virtual=10.0.0.300:80\n"))
                .isEqualTo("test.cf:1: virtual: \"10.0.0.300\" is not a valid IPv4 address (four numbers 0-255, e.g. 10.0.0.2)");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1\n"))
                .isEqualTo("test.cf:1: virtual: no port in \"10.0.0.1\"; write virtual=ADDRESS:PORT, e.g. 10.0.0.1:80");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=nosuchhost.invalid:80 gate\n"))
                .isEqualTo("test.cf:2: real: host name \"nosuchhost.invalid\" does not resolve to an IPv4 address;"
                        + " fix the name, add it to /etc/hosts or write the address");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=192.168.6.2::80 gate\n"))
                .isEqualTo("test.cf:2: real: \"192.168.6.2::80\" is not ADDRESS:PORT (more than one ':'); an IPv6"
                        + " address goes in brackets, e.g. [2001:db8::1]:80");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.9->10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:2: real: range 10.0.0.9->10.0.0.2 runs backwards; write the lower address first");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80\n"))
                .isEqualTo("test.cf:2: real: no forwarding method after 10.0.0.2:80; expected gate, masq or ipip,"
                        + " e.g. real=10.0.0.2:80 gate");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 route\n"))
                .isEqualTo("test.cf:2: real: forwarding method \"route\" is not gate, masq or ipip; expected "
                        + "real=ADDRESS:PORT gate|masq|ipip [WEIGHT] [\"REQUEST\", \"RECEIVE\"]"
                        + " [l:LOWER] [u:UPPER]");
    }

    @Test
    void badPorts() {
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:70000\n"))
                .isEqualTo("test.cf:1: virtual: port 70000 is out of range; expected 1 to 65535");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:htp gate\n"))
                .isEqualTo("test.cf:2: real: unknown port name \"htp\" (not in lbd's table or /etc/services);"
                        + " write the port number");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tcheckport=0\n"))
                .isEqualTo("test.cf:2: checkport: port 0 is out of range; expected 1 to 65535");
    }

    @Test
    void badWeightsAndNumbers() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate heavy\n"))
                .isEqualTo("test.cf:2: real: \"heavy\" is not a whole number; expected a weight from 0 to 65535");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate 70000\n"))
                .isEqualTo("test.cf:2: real: 70000 is out of range; expected a weight from 0 to 65535");
        assertThat(Fixtures.onlyError("checkinterval=0\n"))
                .isEqualTo("test.cf:1: checkinterval: 0 is out of range; expected a number of seconds from 1 to 86400");
        assertThat(Fixtures.onlyError("maxconn=0\n"))
                .isEqualTo("test.cf:1: maxconn: 0 is out of range; expected a number of connections from 1 to 100000000");
        assertThat(Fixtures.onlyError("quiescent=maybe\n"))
                .isEqualTo("test.cf:1: quiescent: \"maybe\" is not yes or no");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treceive=\"(unclosed\"\n"))
                .startsWith("test.cf:2: receive: \"(unclosed\" is not a valid regular expression (");
    }

    @Test
    void duplicateVirtualServiceNamesTheFirst() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate\n\n" + VIRTUAL + "\treal=10.0.0.3:80 gate\n"))
                .isEqualTo("test.cf:4: virtual: duplicate virtual service TCP 10.0.0.1:80; it is already defined on"
                        + " line 1; merge the two blocks");
    }

    @Test
    void sameRealServerTwiceInOneService() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate\n\treal=10.0.0.1->10.0.0.3:80 gate\n"))
                .isEqualTo("test.cf:3: real: real server 10.0.0.2:80 is already in this virtual service (line 2);"
                        + " remove one of them");
    }

    @Test
    void mixingGateAndMasqIsRejected() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate\n\treal=10.0.0.3:80 masq\n"))
                .isEqualTo("test.cf:3: real: masq here, but the real server on line 2 is gate; lbd needs masq or"
                        + " gate/ipip throughout a virtual service: split it into two virtual services");
    }

    @Test
    void gateCannotChangeThePort() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:8080 gate\n"))
                .isEqualTo("test.cf:2: real: gate (direct routing) cannot change the port: the real port 8080 must"
                        + " equal the virtual port 80; write :80, or use masq to map ports");
    }

    @Test
    void negotiateChecksThatCannotWorkWithoutLoginRequestOrAProxyUrlAreRejectedOnTheirLine() {
        assertThat(Fixtures.errors("virtual=10.0.0.1:3306\n\treal=10.0.0.2:3306 masq\n"))
                .extracting(ConfigError::toString).containsExactly(
                        "test.cf:1: virtual: mysql checks log in: add login=\"USER\" and passwd=\"PASSWORD\" (as"
                                + " ldirectord, which marks every server down without a login)",
                        "test.cf:1: virtual: mysql checks run request= as SQL and pass when it returns a row: add"
                                + " e.g. request=\"SELECT 1\"");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:5432\n\treal=10.0.0.2:5432 masq\n\tservice=pgsql\n"
                + "\tlogin=\"lbd\"\n"))
                .isEqualTo("test.cf:3: service: pgsql checks run request= as SQL and pass when it returns a row: add"
                        + " e.g. request=\"SELECT 1\"");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:3128\n\treal=10.0.0.2:3128 masq\n\trequest=\"/index.html\"\n"))
                .isEqualTo("test.cf:3: request: http_proxy checks fetch request= through the real server as an HTTP"
                        + " proxy: write an absolute URL, e.g. request=\"http://www.example.com/\"");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tservice=ftp\n\tlogin=\"\"\n"))
                .isEqualTo("test.cf:3: login: is empty; give a value, e.g. login=\"readuser\"");
    }

    @Test
    void ipipIsAcceptedMixesWithGateAndKeepsThePort() {
        var vs = Fixtures.loaded(VIRTUAL + "\treal=10.0.0.2:80 ipip\n\treal=10.0.0.3:80 gate\n").virtualServices()
                .getFirst();
        assertThat(vs.realServers()).extracting(r -> r.forwarding())
                .containsExactly(lbd.config.model.ForwardingMethod.IPIP, lbd.config.model.ForwardingMethod.GATE);
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:8080 ipip\n"))
                .isEqualTo("test.cf:2: real: ipip (tunnelling) cannot change the port: the real port 8080 must equal"
                        + " the virtual port 80; write :80, or use masq to map ports");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 ipip\n\treal=10.0.0.3:80 masq\n"))
                .startsWith("test.cf:3: real: masq here, but the real server on line 2 is ipip;");
        assertThat(Fixtures.loaded(VIRTUAL + "\treal=10.0.0.2:80 ipip\n\tfallback=10.0.0.9:80 ipip\n")
                .virtualServices().getFirst().fallback().orElseThrow().forwarding())
                .isEqualTo(lbd.config.model.ForwardingMethod.IPIP);
        var v6 = Fixtures.loaded("virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2]:80 ipip\n"
                + "\tfallback6=[2001:db8::9]:80 ipip\n").virtualServices().getFirst();
        assertThat(v6.realServers().getFirst().forwarding()).isEqualTo(lbd.config.model.ForwardingMethod.IPIP);
        assertThat(v6.fallback().orElseThrow().forwarding()).isEqualTo(lbd.config.model.ForwardingMethod.IPIP);
    }

    @Test
    void interfaceListsSeveralInterfacesOnceEach() {
        assertThat(Fixtures.loaded("interface=eth0, eth1.10 bond0\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n")
                .globals().networkInterfaces()).containsExactly("eth0", "eth1.10", "bond0");
        assertThat(Fixtures.onlyError("interface=eth0,eth0\n" + VIRTUAL + "\treal=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:1: interface: \"eth0\" is listed twice");
    }

    @Test
    void notSupportedYetIsRejectedOnItsLine() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\tprotocol=udp\n\tservice=none\n\tops=yes\n"))
                .isEqualTo("test.cf:4: ops: one-packet scheduling (ops=yes) is not supported yet: lbd keeps a flow"
                        + " per client address:port; remove the line");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tprotocol=udp\n\tservice=simpletcp\n"))
                .isEqualTo("test.cf:3: service: simpletcp checks over UDP are not supported yet (lbd's simpletcp check"
                        + " speaks TCP); use service=dns, radius, sip or none, or checktype=ping");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tscheduler=LBLC\n"))
                .isEqualTo("test.cf:2: scheduler: scheduler names are lower case: write lblc");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tscheduler=fastest\n"))
                .isEqualTo("test.cf:2: scheduler: unknown scheduler \"fastest\"; lbd schedules with rr, wrr, lc, wlc,"
                        + " sed, nq, fo, ovf, sh, mh, dh, twos, lblc or lblcr");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:1521\n"))
                .isEqualTo("test.cf:1: virtual: port 1521 means service=oracle by default (as in ldirectord), and "
                        + ServiceBuilder.ORACLE_REFUSED + "; add service=simpletcp, service=none or checktype=connect");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tchecktype=external-perl\n"))
                .isEqualTo("test.cf:2: checktype: external-perl is not supported yet (lbd does not embed Perl); use"
                        + " checktype=external with the same script as checkcommand");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=web1.test->web2.test:80 gate\n"))
                .isEqualTo("test.cf:2: real: a range between host names (web1.test->web2.test) is not supported yet;"
                        + " write it with addresses, e.g. 10.0.0.2->10.0.0.7:80, or one real= line per host");
        assertThat(Fixtures.onlyError("execute=other.cf\n"))
                .isEqualTo("test.cf:1: execute: starting other ldirectord configurations is not supported yet; run"
                        + " one lbd per configuration file");
    }

    @Test
    void firewallMarksAreRefusedWithTheAlsolistenRewrite() {
        assertThat(Fixtures.onlyError("virtual=1\n\treal=10.0.0.2 gate\n\tprotocol=fwm\n"))
                .isEqualTo("test.cf:1: virtual: firewall-mark virtual services (virtual=1) are not supported:"
                        + " netfilter sets the mark after lbd's packet tap, so lbd cannot read it. Give the VIP:ports"
                        + " the mark groups to one block instead: virtual=VIP:PORT1 and"
                        + " alsolisten=VIP:PORT2[,VIP:PORT3...], with real=RIP masq lines without a port (each"
                        + " connection goes to the port the client used), e.g. virtual=10.0.0.1:80 with"
                        + " alsolisten=10.0.0.1:443");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2 masq\n\tprotocol=fwm\n"))
                .isEqualTo("test.cf:3: protocol: protocol=fwm is for firewall-mark services, which lbd cannot read"
                        + " (netfilter sets the mark after lbd's packet tap); write protocol=tcp and group the"
                        + " VIP:ports with alsolisten=VIP:PORT[,VIP:PORT...] on this block, e.g."
                        + " virtual=10.0.0.1:80 with alsolisten=10.0.0.1:443");
    }

    @Test
    void alsolistenGroupsVipPortsOfOneMasqServiceWhoseRealServersTakeTheClientsPort() {
        var config = Fixtures.loaded(VIRTUAL + "\treal=10.0.0.2 masq\n\treal=10.0.0.3:80 masq\n"
                + "\talsolisten=10.0.0.1:443, 10.0.0.9:8443\n\tpersistent=600\n");
        var vs = config.virtualServices().getFirst();
        assertThat(vs.alsoListen()).extracting(k -> k.address().toString())
                .containsExactly("10.0.0.1:443", "10.0.0.9:8443");
        assertThat(CheckSummary.format(config)).contains("  = also on 10.0.0.1:443,"
                + " 10.0.0.9:8443: the same real servers (at the port the client used), scheduler and persistence\n");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:8080 masq\n\talsolisten=10.0.0.1:443\n"))
                .isEqualTo("test.cf:2: real: in a service with alsolisten= each connection goes to the real server at"
                        + " the port the client connected to, as IPVS's firewall-mark services do; leave the port out"
                        + " (real=10.0.0.2 masq)");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2 gate\n\talsolisten=10.0.0.1:443\n"))
                .isEqualTo("test.cf:2: real: alsolisten= takes masq real servers only yet (the direct-routing path"
                        + " does not accept on a second VIP:port yet); use masq, or one virtual service per port");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2 masq\n\talsolisten=10.0.0.1\n"))
                .isEqualTo("test.cf:3: alsolisten: no port in \"10.0.0.1\"; write alsolisten=VIP:PORT, e.g."
                        + " 10.0.0.1:443");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2 masq\n\talsolisten=10.0.0.1:80\n"))
                .isEqualTo("test.cf:3: alsolisten: 10.0.0.1:80 is given twice for this service; name each VIP:port"
                        + " once");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2 masq\n\talsolisten=10.0.0.1:443\n"
                + "virtual=10.0.0.1:443\n\treal=10.0.0.3 masq\n"))
                .isEqualTo("test.cf:4: virtual: duplicate virtual service TCP 10.0.0.1:443; it is already defined on"
                        + " line 1; merge the two blocks");
    }

    @Test
    void mhTableSizeIsOneOfTheKernelsPrimesAndOnlyForMh() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\tscheduler=mh\n\tmhtablesize=65537\n"))
                .isEqualTo("test.cf:3: mhtablesize: 65537 is not one of the mh table sizes the kernel can be built"
                        + " with (CONFIG_IP_VS_MH_TAB_INDEX 8..17): 251, 509, 1021, 2039, 4093, 8191, 16381, 32749,"
                        + " 65521, 131071; choose one, about 100 slots per real server");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tscheduler=sh\n\tmhtablesize=65521\n"))
                .isEqualTo("test.cf:3: mhtablesize: scheduler=sh has no table to size (only mh does); remove the"
                        + " line or write scheduler=mh");
        assertThat(Fixtures.loaded(VIRTUAL + "\tscheduler=mh\n\tmhtablesize=131071\n").virtualServices()
                .getFirst().mhTableSize()).isEqualTo(131071);
        assertThat(Fixtures.loaded(VIRTUAL + "\tscheduler=mh\n").virtualServices().getFirst().mhTableSize())
                .isEqualTo(4093);
    }

    @Test
    void connectionThresholdsAreRefusedWhereLdirectordOrTheKernelWouldNotTakeThem() {
        // ldirectord: unquoted, l: before u: (its unanchored match drops a u: written first); kernel: l <= u.
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate 1 \"l:10\"\n"))
                .isEqualTo("test.cf:2: real: write the threshold l:10 without quotes, as ldirectord reads it:"
                        + " l:LOWER u:UPPER");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate 1 u:10 l:5\n"))
                .isEqualTo("test.cf:2: real: write l:LOWER before u:UPPER (ldirectord reads them in that order and"
                        + " drops a u: written before the l:)");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate 1 l:20 u:10\n"))
                .isEqualTo("test.cf:2: real: the lower threshold (20) is above the upper (10); IPVS refuses"
                        + " lower > upper (Numerical result out of range); write l:LOWER u:UPPER with LOWER <= UPPER");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate l:5\n"))
                .isEqualTo("test.cf:2: real: a lower threshold (5) needs an upper threshold at least as high; IPVS"
                        + " refuses lower > upper (Numerical result out of range); write l:LOWER u:UPPER with"
                        + " LOWER <= UPPER");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate u:10 u:20\n"))
                .isEqualTo("test.cf:2: real: the upper threshold is given twice; give u: once");
        assertThat(Fixtures.onlyError(VIRTUAL + "\treal=10.0.0.2:80 gate u:ten\n"))
                .isEqualTo("test.cf:2: real: \"ten\" is not a whole number; expected an upper connection threshold"
                        + " (u:) from 0 to 2147483647");
    }

    @Test
    void schedulerFlagsAsIpvsadmsDashBReadsThemAndOnlyWhereTheyDoSomething() {
        assertThat(Fixtures.onlyError(VIRTUAL + "\tschedflags=sh-fallback\n"))
                .isEqualTo("test.cf:2: schedflags: incompatible scheduler flag sh-fallback with scheduler=wrr");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tschedflags=flag-1\n"))
                .isEqualTo("test.cf:2: schedflags: scheduler=wrr reads no scheduler flags (only sh and mh do);"
                        + " remove the line");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tscheduler=sh\n\tschedflags=mh-port\n"))
                .isEqualTo("test.cf:3: schedflags: incompatible scheduler flag mh-port with scheduler=sh");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tscheduler=mh\n\tschedflags=mh-fallback,flag-3\n"))
                .isEqualTo("test.cf:3: schedflags: flag-3 is read by no IPVS scheduler; remove it");
        assertThat(Fixtures.onlyError(VIRTUAL + "\tscheduler=mh\n\tschedflags=mh-fast\n"))
                .isEqualTo("test.cf:3: schedflags: invalid scheduler flag \"mh-fast\"; expected sh-fallback, sh-port,"
                        + " mh-fallback, mh-port, flag-1 or flag-2, comma-separated");
        var sh = Fixtures.loaded(VIRTUAL + "\treal=10.0.0.2:80 gate\n\tschedflags=sh-port,flag-1\n\tscheduler=sh\n")
                .virtualServices().getFirst();
        assertThat(sh.schedulerFlags()).isEqualTo(new lbd.config.model.SchedulerFlags(true, true));
        assertThat(CheckSummary.format(Fixtures.loaded(VIRTUAL + "\treal=10.0.0.2:80 gate\n\tscheduler=mh\n"
                + "\tschedflags=mh-fallback\n"))).startsWith("TCP  10.0.0.1:80 mh (mh-fallback)\n");
    }

    @Test
    void allErrorsAreReportedInOnePassInLineOrder() {
        List<ConfigError> errors = Fixtures.errors("""
                checkinterval=soon
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \treal=10.0.0.3:80 masq
                \tscheduler=LBLC
                real=10.0.0.4:80 gate
                bogus=1
                """);
        assertThat(errors).extracting(ConfigError::line).containsExactly(1, 4, 5, 6, 7);
    }

    /** Found by LdirectordCfFuzzTest: the real servers took the unknown virtual port (-1) and the loader threw. */
    @Test
    void realServersWithoutAPortUnderABrokenVirtualLineAddNoErrorOfTheirOwn() {
        assertThat(Fixtures.onlyError("virtual=10.0.0.1\n\treal=10.0.0.2 masq\n"))
                .isEqualTo("test.cf:1: virtual: no port in \"10.0.0.1\"; write virtual=ADDRESS:PORT, e.g. 10.0.0.1:80");
        assertThat(Fixtures.onlyError("virtual=nosuchhost.test:80\n\treal=10.0.0.2 gate\n\treal=10.0.0.3 gate\n"))
                .startsWith("test.cf:1: virtual: ");
        // The real lines are still checked: a duplicate is reported even though the virtual port is unknown.
        assertThat(Fixtures.errors("virtual=10.0.0.1\n\treal=10.0.0.2 masq\n\treal=10.0.0.2 masq\n"))
                .extracting(ConfigError::line).containsExactly(1, 3);
    }

    @Test
    void missingAndUnreadableFilesAreOneClearError(@TempDir Path dir) throws Exception {
        ConfigResult missing = ConfigLoader.load(dir.resolve("nope.cf"), Fixtures.RESOLVER);
        assertThat(missing).isInstanceOf(ConfigResult.Invalid.class);
        assertThat(((ConfigResult.Invalid) missing).errors()).extracting(ConfigError::toString)
                .containsExactly(dir.resolve("nope.cf") + ": no such file; give the path of an ldirectord.cf");

        ConfigResult directory = ConfigLoader.load(dir, Fixtures.RESOLVER);
        assertThat(((ConfigResult.Invalid) directory).errors().getFirst().toString())
                .isEqualTo(dir + ": is a directory; give the path of an ldirectord.cf");

        Path file = Files.writeString(dir.resolve("ok.cf"), VIRTUAL + "\treal=10.0.0.2:80 gate\n");
        ConfigResult ok = ConfigLoader.load(file, Fixtures.RESOLVER);
        assertThat(((ConfigResult.Loaded) ok).config().source()).contains(file);
    }
}
