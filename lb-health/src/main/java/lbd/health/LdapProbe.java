package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.SimpleBindRequest;

/**
 * service=ldap|ldaps with checktype=negotiate, as ldirectord's check_ldap (Perl's Net::LDAP): a simple bind as
 * {@code login=} (a DN) with {@code passwd=} when both are set, else an anonymous bind; then a base-scope search
 * of {@code (objectClass=*)} at the DN {@code request=} (empty: the root DSE); up when exactly one entry comes
 * back and its DN contains a match of {@code receive} (any DN when receive is unset). As in ldirectord the whole
 * check is bounded by checktimeout and each operation by negotiatetimeout; ldaps is LDAP inside TLS from the
 * first byte, the certificate not verified (ldirectord's library default too).
 */
public final class LdapProbe implements Probe {

    private final String service;
    private final boolean tls;
    private final InetSocketAddress target;
    private final Optional<String> bindDn;
    private final String passwd;
    private final String base;
    private final ReceivePattern receive;
    private final Duration connectTimeout;
    private final Duration checkTimeout;
    private final Duration operationTimeout;

    public LdapProbe(CheckSpec spec, boolean tls) {
        this.service = spec.check().service().configName();
        this.tls = tls;
        this.target = spec.target().toSocketAddress();
        var credentials = spec.check().credentials();
        this.bindDn = credentials.passwd().isPresent() ? credentials.login() : Optional.empty();
        this.passwd = credentials.passwd().orElse("");
        this.base = spec.request().map(r -> r.startsWith("/") ? r.substring(1) : r).orElse("");
        this.receive = ReceivePattern.of(spec.receive());
        this.connectTimeout = spec.check().connectTimeout();
        this.checkTimeout = spec.check().checkTimeout();
        this.operationTimeout = spec.check().negotiateTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        if (receive.invalidReason() != null) {
            return ProbeResult.down(receive.invalidReason());
        }
        Deadline deadline = Deadline.after(checkTimeout);
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setUseSynchronousMode(true); // one request at a time: no reader thread per connection
        options.setAutoReconnect(false);
        String step = "connect";
        try (LDAPConnection ldap = tls ? new LDAPConnection(TrustAllTls.socketFactory(), options)
                : new LDAPConnection(options)) {
            ldap.connect(target.getAddress().getHostAddress(), target.getPort(),
                    deadline.remainingMillis(connectTimeout));
            step = bindDn.isPresent() ? "bind as " + bindDn.get() : "anonymous bind";
            options.setResponseTimeoutMillis(deadline.remainingMillis(operationTimeout));
            ldap.setConnectionOptions(options);
            ldap.bind(bindDn.isPresent() ? new SimpleBindRequest(bindDn.get(), passwd) : new SimpleBindRequest());
            step = "search of \"" + base + "\"";
            options.setResponseTimeoutMillis(deadline.remainingMillis(operationTimeout));
            ldap.setConnectionOptions(options);
            SearchResult result = ldap.search(new SearchRequest(base, SearchScope.BASE, "(objectClass=*)"));
            if (result.getEntryCount() != 1) {
                return ProbeResult.down("negotiate: " + service + " search of \"" + base + "\" returned "
                        + result.getEntryCount() + " entries, not one");
            }
            String dn = result.getSearchEntries().getFirst().getDN();
            if (receive.isSet() && !receive.foundIn(dn)) {
                return ProbeResult.down("negotiate: " + service + " receive \"" + receive.text()
                        + "\" not matched in DN \"" + dn + "\"");
            }
            return ProbeResult.up("negotiate: " + service + " found \"" + dn + "\"");
        } catch (LDAPException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException(service + " probe stopped");
            }
            return ProbeResult.down("negotiate: " + service + " " + step + " failed: " + describe(e));
        } catch (IOException e) { // the deadline passed between two operations
            return NetClientSteps.failed(service, e, checkTimeout);
        }
    }

    private String describe(LDAPException e) {
        if (e.getResultCode() == ResultCode.CONNECT_ERROR || e.getResultCode() == ResultCode.SERVER_DOWN) {
            // The SDK wraps the socket's failure (ConnectException, ...) in layers of its own: describe the innermost.
            IOException innermost = null;
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof IOException io) {
                    innermost = io;
                }
            }
            if (innermost != null) {
                return IoFailures.describe(innermost, connectTimeout);
            }
        }
        if (e.getResultCode() == ResultCode.TIMEOUT) {
            return "timed out after " + Texts.duration(operationTimeout);
        }
        String diagnostic = e.getDiagnosticMessage();
        return e.getResultCode().getName() + " (" + e.getResultCode().intValue() + ")"
                + (diagnostic == null || diagnostic.isBlank() ? "" : ": " + Texts.snippet(diagnostic));
    }
}
