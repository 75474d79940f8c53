package lbd.health;

import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.aaa4j.radius.client.IntervalRetransmissionStrategy;
import org.aaa4j.radius.client.RadiusClient;
import org.aaa4j.radius.client.RadiusClientException;
import org.aaa4j.radius.client.clients.UdpRadiusClient;
import org.aaa4j.radius.core.attribute.Ipv4AddrData;
import org.aaa4j.radius.core.attribute.StringData;
import org.aaa4j.radius.core.attribute.TextData;
import org.aaa4j.radius.core.attribute.attributes.NasIpAddress;
import org.aaa4j.radius.core.attribute.attributes.UserName;
import org.aaa4j.radius.core.attribute.attributes.UserPassword;
import org.aaa4j.radius.core.packet.Packet;
import org.aaa4j.radius.core.packet.PacketCodecException;
import org.aaa4j.radius.core.packet.packets.AccessAccept;
import org.aaa4j.radius.core.packet.packets.AccessReject;
import org.aaa4j.radius.core.packet.packets.AccessRequest;

/**
 * service=radius, as ldirectord's check_radius (Authen::Radius check_pwd): one Access-Request to the real server
 * (checkport, else its port) over UDP with User-Name = {@code login}, User-Password = {@code passwd} hidden with
 * {@code secret} (each empty when unset) and NAS-IP-Address = the local address towards the server, within
 * checktimeout. Up only on an Access-Accept whose authenticator is valid for the secret: an Access-Reject, any
 * other answer, a forged one or a timeout is down — ldirectord's check_pwd counts only Access-Accept, so the check
 * needs credentials the server accepts. The packet format, password hiding and response authentication are the
 * aaa4j-radius library's.
 */
public final class RadiusProbe implements Probe {

    private final InetSocketAddress target;
    private final byte[] secret;
    private final String login;
    private final byte[] passwd;
    private final Duration timeout;

    public RadiusProbe(CheckSpec spec) {
        this.target = spec.target().toSocketAddress();
        this.secret = spec.check().credentials().secret().orElse("").getBytes(StandardCharsets.UTF_8);
        this.login = spec.check().credentials().login().orElse("");
        this.passwd = spec.check().credentials().passwd().orElse("").getBytes(StandardCharsets.UTF_8);
        this.timeout = spec.check().checkTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        AccessRequest request = new AccessRequest(List.of(new UserName(new TextData(login)),
                new UserPassword(new StringData(passwd)), new NasIpAddress(new Ipv4AddrData(nasAddress()))));
        try (RadiusClient client = UdpRadiusClient.newBuilder()
                .address(target)
                .secret(secret)
                .retransmissionStrategy(new IntervalRetransmissionStrategy(1, timeout))
                .build()) {
            Packet response = client.send(request);
            return switch (response) {
                case AccessAccept accept -> ProbeResult.up("negotiate: Access-Accept");
                case AccessReject reject -> ProbeResult.down("negotiate: Access-Reject (ldirectord counts only"
                        + " Access-Accept: check login= and passwd=)");
                default -> ProbeResult.down("negotiate: unexpected RADIUS answer " + response.getCode());
            };
        } catch (RadiusClientException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("radius probe stopped");
            }
            if (e.getCause() instanceof PacketCodecException invalid) {
                // As Authen::Radius's EBADAUTH: an answer came, signed with another secret (or mangled).
                return ProbeResult.down("negotiate: RADIUS answer does not verify (" + invalid.getMessage()
                        + "): is secret= the one the server has for this client?");
            }
            return ProbeResult.down("negotiate: no RADIUS answer within " + Texts.duration(timeout));
        }
    }

    /** The local IPv4 address towards the server (as Authen::Radius's sockhost), else 127.0.0.1. */
    private Inet4Address nasAddress() {
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(target);
            if (probe.getLocalAddress() instanceof Inet4Address local && !local.isAnyLocalAddress()) {
                return local;
            }
        } catch (SocketException e) {
            // no route: the loopback address, as Authen::Radius falls back to
        }
        return (Inet4Address) InetAddress.ofLiteral("127.0.0.1");
    }
}
