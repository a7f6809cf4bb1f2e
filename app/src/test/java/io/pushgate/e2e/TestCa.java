package io.pushgate.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import java.net.http.HttpClient;

/** Trust in the local CA that {@code certs/generate.sh} made: for the JDK's HTTP client, and for Chromium. */
final class TestCa {

    private final Path certs;

    TestCa(Path certs) {
        this.certs = certs;
    }

    /** An SSL context that trusts only {@code ca.crt} (and verifies host names as usual). */
    SSLContext sslContext() throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("pushgate-test-ca", read("ca.crt"));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    HttpClient httpClient() throws IOException, GeneralSecurityException {
        return HttpClient.newBuilder().sslContext(sslContext()).connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /**
     * The base64 SHA-256 of the server certificate's SubjectPublicKeyInfo, for Chromium's
     * {@code --ignore-certificate-errors-spki-list}.
     */
    String serverSpkiSha256() throws IOException, GeneralSecurityException {
        byte[] spki = read("server.crt").getPublicKey().getEncoded(); // X.509 SubjectPublicKeyInfo, DER
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(spki));
    }

    private X509Certificate read(String name) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(certs.resolve(name))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
