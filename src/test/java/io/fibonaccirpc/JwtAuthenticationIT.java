package io.fibonaccirpc;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Tools;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JWT authentication as an operator turns it on, in the environment of the packaged jar: camel-platform-http-main's
 * CAMEL_SERVER_JWT_KEYSTORE_* with a key store made here (keytool, an RS256 key), and HTTP_JWT_ISSUER and
 * HTTP_JWT_AUDIENCE. A token signed by that key for that issuer and audience is answered; none, another issuer or
 * audience, an expired token or one signed by another key get 401 problem JSON; without the issuer and audience the
 * process does not start.
 */
class JwtAuthenticationIT {

    private static final String QUEUE = RunningApplication.newQueueName();
    private static final String PASSWORD = UUID.randomUUID().toString();
    private static final String ISSUER = "https://issuer.example";
    private static final String AUDIENCE = "fibonacci-rpc";

    @TempDir
    static Path folder;
    private static Vertx vertx;
    private static JWTAuth signer;
    private static JWTAuth stranger;
    private static ApplicationProcess application;

    @BeforeAll
    static void startTheJarWithJwt() {
        Path keys = keyStore("gateway-jwt.p12");
        vertx = Vertx.vertx();
        signer = signerOf(keys);
        stranger = signerOf(keyStore("another-key.p12"));
        application = ApplicationProcess.start("jwt-authentication", Map.of(
                "RPC_QUEUE", QUEUE,
                "CAMEL_SERVER_AUTHENTICATION_ENABLED", "true",
                "CAMEL_SERVER_JWT_KEYSTORE_TYPE", "PKCS12",
                "CAMEL_SERVER_JWT_KEYSTORE_PATH", keys.toString(),
                "CAMEL_SERVER_JWT_KEYSTORE_PASSWORD", PASSWORD,
                "HTTP_JWT_ISSUER", ISSUER,
                "HTTP_JWT_AUDIENCE", AUDIENCE));
    }

    @AfterAll
    static void stop() {
        ApplicationProcess.closeAndDeleteQueues(application, QUEUE);
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    @Test
    void a_token_of_the_key_for_the_issuer_and_audience_is_answered() {
        HttpResponse<String> call = call(token(signer, ISSUER, AUDIENCE, 60));
        assertEquals(200, call.statusCode(), call.body());
        assertEquals("832040", call.body());
    }

    @Test
    void no_token_another_issuer_or_audience_an_expired_token_or_another_key_get_401_problem_json() {
        Map<String, HttpResponse<String>> refused = Map.of(
                "no token", Http.get(application.uri("/fib/30")),
                "another issuer", call(token(signer, "https://other.example", AUDIENCE, 60)),
                "another audience", call(token(signer, ISSUER, "another-service", 60)),
                "expired", call(token(signer, ISSUER, AUDIENCE, -120)),
                "another key", call(token(stranger, ISSUER, AUDIENCE, 60)));
        refused.forEach((what, response) -> {
            assertEquals(401, response.statusCode(), what + ": " + response.body());
            assertEquals("urn:fibonacci-rpc:problem:unauthorized", Http.json(response.body()).get("type"),
                    what + ": " + response.body());
        });
        assertTrue(refused.get("no token").headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"),
                refused.get("no token").headers().map().toString());
    }

    @Test
    void without_the_issuer_and_audience_the_process_does_not_start() {
        try (ApplicationProcess unchecked = ApplicationProcess.launchUnready("jwt-without-claims", Map.of(
                "RPC_QUEUE", QUEUE,
                "CAMEL_SERVER_AUTHENTICATION_ENABLED", "true",
                "CAMEL_SERVER_JWT_KEYSTORE_TYPE", "PKCS12",
                "CAMEL_SERVER_JWT_KEYSTORE_PATH", folder.resolve("gateway-jwt.p12").toString(),
                "CAMEL_SERVER_JWT_KEYSTORE_PASSWORD", PASSWORD))) {
            await("the process exits").atMost(Duration.ofSeconds(60)).until(() -> !unchecked.isAlive());
            assertNotEquals(0, unchecked.exitValue(), unchecked.logTail());
            assertTrue(unchecked.logTail().contains("HTTP_JWT_ISSUER"), unchecked.logTail());
        }
    }

    private static HttpResponse<String> call(String token) {
        return Http.get(application.uri("/fib/30"), "Authorization", "Bearer " + token);
    }

    /** A token for this issuer and audience that expires this many seconds from now (in the past when negative). */
    private static String token(JWTAuth key, String issuer, String audience, long expiresInSeconds) {
        long now = System.currentTimeMillis() / 1000;
        return key.generateToken(new JsonObject().put("sub", "alice").put("iss", issuer)
                        .put("aud", List.of(audience)).put("iat", now - 300).put("exp", now + expiresInSeconds),
                new JWTOptions().setAlgorithm("RS256"));
    }

    private static JWTAuth signerOf(Path keys) {
        return JWTAuth.create(vertx, new JWTAuthOptions(new JsonObject().put("keyStore", new JsonObject()
                .put("type", "PKCS12").put("path", keys.toString()).put("password", PASSWORD))));
    }

    /** A PKCS12 key store with an RSA key under the alias RS256, the name Vert.x looks for. */
    private static Path keyStore(String name) {
        Path store = folder.resolve(name);
        List<String> command = List.of("keytool", "-genkeypair", "-alias", "RS256", "-keyalg", "RSA", "-keysize",
                "2048", "-sigalg", "SHA256withRSA", "-dname", "CN=fibonacci-rpc test issuer", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD);
        Tools.run(null, command);
        assertTrue(Files.isRegularFile(store), "keytool made no key store");
        return store;
    }
}
