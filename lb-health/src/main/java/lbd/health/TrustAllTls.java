package lbd.health;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS for https, pops, imaps and ldaps checks without certificate verification, as ldirectord does (verify_hostname => 0): a check
 * asks "does the service answer?", and real servers behind a VIP commonly carry the VIP's certificate.
 */
final class TrustAllTls {

    private static final SSLContext CONTEXT = create();
    private static final SSLSocketFactory FACTORY = CONTEXT.getSocketFactory();

    private TrustAllTls() {
    }

    static SSLSocketFactory socketFactory() {
        return FACTORY;
    }

    /** The same, for libraries that take a context (pops, imaps). */
    static SSLContext context() {
        return CONTEXT;
    }

    private static SSLContext create() {
        TrustManager acceptAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {acceptAll}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK offers no TLS: " + e.getMessage(), e);
        }
    }
}
