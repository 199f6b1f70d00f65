package io.fibonaccirpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP_TLS, as an operator sets it, in the environment of the packaged jar, with a key store made here (keytool):
 * calls answer over https with the configured certificate, a plain http request on the port gets no HTTP answer,
 * and only TLS 1.2 and 1.3 are spoken (openssl as the client, for the versions Java's own client will not offer).
 */
class HttpsListenerIT {

    private static final String QUEUE = RunningApplication.newQueueName();
    private static final String PASSWORD = UUID.randomUUID().toString();

    @TempDir
    static Path folder;
    private static Path keyStore;
    private static ApplicationProcess application;
    private static int port;

    @BeforeAll
    static void startTheJarWithTls() {
        keyStore = folder.resolve("gateway.p12");
        Tools.run(null, List.of("keytool", "-genkeypair", "-alias", "gateway", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", PASSWORD));
        assertTrue(Files.isRegularFile(keyStore), "keytool made no key store");
        port = RunningApplication.freePort();
        application = ApplicationProcess.start("https-listener", Map.of(
                "RPC_QUEUE", QUEUE,
                "HTTP_PORT", Integer.toString(port),
                "HTTP_TLS", "true",
                "HTTP_TLS_KEY_STORE", keyStore.toString(),
                "HTTP_TLS_KEY_STORE_PASSWORD", PASSWORD));
    }

    @AfterAll
    static void stop() {
        ApplicationProcess.closeAndDeleteQueues(application, QUEUE);
    }

    @Test
    void calls_and_health_answer_over_https_with_the_configured_certificate() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trusting(certificate()))
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> call = client.send(HttpRequest.newBuilder(https("/fib/30")).timeout(Duration.ofSeconds(30))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, call.statusCode(), call.body());
        assertEquals("832040", call.body());
        SSLSession session = call.sslSession().orElseThrow();
        assertArrayEquals(certificate().getEncoded(), session.getPeerCertificates()[0].getEncoded(),
                "the listener's certificate is the key store's");
        assertTrue(List.of("TLSv1.2", "TLSv1.3").contains(session.getProtocol()), session.getProtocol());

        HttpResponse<String> bad = client.send(HttpRequest.newBuilder(https("/fib/abc")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode());
        assertEquals("urn:fibonacci-rpc:problem:invalid-argument", Http.json(bad.body()).get("type"), bad.body());
        HttpResponse<String> ready = client.send(HttpRequest.newBuilder(https("/observe/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
    }

    @Test
    void a_plain_http_request_on_the_port_gets_no_http_answer() throws IOException {
        String answer = plainHttp("GET /fib/30 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertFalse(answer.startsWith("HTTP/"), "a plain http request was answered: " + answer);
        assertFalse(answer.contains("832040"), answer);
        assertTrue(application.isAlive(), "the gateway still runs");
    }

    @Test
    void only_tls_1_2_and_1_3_are_spoken() {
        for (String version : List.of("-tls1_2", "-tls1_3")) {
            String output = openssl(version);
            assertTrue(output.contains("Cipher is") && !output.contains("Cipher is (NONE)"),
                    version + " was refused:\n" + output);
        }
        for (String version : List.of("-tls1", "-tls1_1")) {
            String output = openssl(version);
            assertTrue(output.contains("Cipher is (NONE)"), version + " was accepted:\n" + output);
            // the client offered it: the refusal is the listener's, not the local client's configuration
            assertFalse(output.contains("no protocols available"), output);
            assertNotEquals(-1, output.indexOf("CONNECTED"), output);
        }
    }

    private static URI https(String path) {
        return URI.create("https://localhost:" + port + path);
    }

    private static Certificate certificate() throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store.getCertificate("gateway");
    }

    /** A client that trusts this certificate only. */
    private static SSLContext trusting(Certificate certificate) throws IOException, GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("gateway", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /** Writes this request on a plain TCP connection; what came back until the listener closed it (or 5 s). */
    private static String plainHttp(String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                for (int read = socket.getInputStream().read(buffer); read >= 0; read = socket.getInputStream().read(buffer)) {
                    answer.write(buffer, 0, read);
                }
            } catch (SocketTimeoutException | SocketException e) {
                // the listener kept the connection open, or reset it: what came so far is the answer
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** openssl s_client at one protocol version (security level 0, so that it offers the old ones). */
    private static String openssl(String version) {
        return Tools.output(null, List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "localhost",
                version, "-cipher", "DEFAULT@SECLEVEL=0"));
    }
}
