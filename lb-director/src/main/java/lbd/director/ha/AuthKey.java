package lbd.director.ha;

import java.util.Objects;

/** One {@code num method secret} line of authkeys. The secret never appears in toString. */
public record AuthKey(int id, AuthMethod method, byte[] secret) {

    public AuthKey {
        Objects.requireNonNull(method, "method");
        secret = secret.clone();
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthKey k && k.id == id && k.method == method && java.util.Arrays.equals(k.secret, secret);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, method);
    }

    @Override
    public String toString() {
        return id + " " + method.configName() + " (secret hidden)";
    }
}
