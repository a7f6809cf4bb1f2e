package io.pushgate.security;

import java.util.List;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.ConnectProxy;

import org.jspecify.annotations.Nullable;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * A presented secret (client token or API key) and, once verified, what it grants. The secret is
 * never part of {@link #toString()}.
 */
final class Credential extends AbstractAuthenticationToken {

    static final SimpleGrantedAuthority CLIENT = new SimpleGrantedAuthority("ROLE_CLIENT");
    static final SimpleGrantedAuthority BACKEND = new SimpleGrantedAuthority("ROLE_BACKEND");

    private final String secret;
    private final @Nullable ClientClaims claims;
    private final String name;
    private final ConnectProxy.@Nullable Attempt attempt;

    private Credential(String secret, @Nullable ClientClaims claims, String name, @Nullable SimpleGrantedAuthority role,
                       ConnectProxy.@Nullable Attempt attempt) {
        super(role == null ? List.of() : List.of(role));
        this.secret = secret;
        this.claims = claims;
        this.name = name;
        this.attempt = attempt;
        setAuthenticated(role != null);
    }

    private Credential(String secret, @Nullable ClientClaims claims, String name, @Nullable SimpleGrantedAuthority role) {
        this(secret, claims, name, role, null);
    }

    static Credential presented(String secret) {
        return new Credential(secret, null, "anonymous", null);
    }

    /**
     * A client credential to be checked as a token first and, when it is not a valid one, by the connect
     * proxy; {@code attempt.token()} is {@code null} when the client sent only cookies.
     */
    static Credential proxied(ConnectProxy.Attempt attempt) {
        String token = attempt.token();
        return new Credential(token == null ? "" : token, null, "anonymous", null, attempt);
    }

    static Credential client(ClientClaims claims) {
        return new Credential("", claims, claims.uid(), CLIENT);
    }

    static Credential backend() {
        return new Credential("", null, "backend", BACKEND);
    }

    String secret() {
        return secret;
    }

    /** What the connect proxy would tell the backend, or {@code null} when no proxy may be asked. */
    ConnectProxy.@Nullable Attempt attempt() {
        return attempt;
    }

    @Nullable ClientClaims claims() {
        return claims;
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return name;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public String toString() {
        return "Credential[" + name + ", authenticated=" + isAuthenticated() + "]";
    }
}
