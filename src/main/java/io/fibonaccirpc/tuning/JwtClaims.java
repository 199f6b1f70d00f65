package io.fibonaccirpc.tuning;

import java.util.List;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.apache.camel.component.platform.http.vertx.auth.AuthenticationConfig;
import org.apache.camel.main.HttpServerConfigurationProperties;

/**
 * camel-platform-http-main's JWT authentication ({@code camel.server.jwt-keystore-*}) checks a token's signature and
 * expiry only: any token signed by the key store's key, whoever it was issued for, would pass. This makes it check
 * the issuer ({@code iss}) and the audience ({@code aud}) too, and refuses to run without them.
 * <p>
 * Written against camel-platform-http-main 4.17.0 ({@code JWTAuthenticationConfigurer}) and Vert.x 4.5.
 */
final class JwtClaims {

    private JwtClaims() {
    }

    /** Replaces the JWT provider of every entry with one that checks this issuer and audience; both are required. */
    static void require(AuthenticationConfig authentication, HttpServerConfigurationProperties configuration,
                        String issuer, String audience) {
        if (issuer == null || issuer.isBlank() || audience == null || audience.isBlank()) {
            throw new IllegalArgumentException("JWT authentication (camel.server.jwt-keystore-type) needs the issuer "
                    + "and the audience a caller's token must name: http.jwt-issuer (HTTP_JWT_ISSUER) and "
                    + "http.jwt-audience (HTTP_JWT_AUDIENCE)");
        }
        JWTAuthOptions options = new JWTAuthOptions(new JsonObject().put("keyStore", new JsonObject()
                .put("type", configuration.getJwtKeystoreType())
                .put("path", configuration.getJwtKeystorePath())
                .put("password", configuration.getJwtKeystorePassword())))
                .setJWTOptions(new JWTOptions().setIssuer(issuer).setAudience(List.of(audience)));
        authentication.getEntries().forEach(entry -> entry.setAuthenticationProviderFactory(
                vertx -> JWTAuth.create(vertx, options)));
    }
}
