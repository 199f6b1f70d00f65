package io.fibonaccirpc.gateway;

import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who a call is from, as the listener hands it over: the authenticated user, else the remote address; and the
 * trusted proxies' blocks. A trusted proxy's forwarded-for header needs the real listener: CallerLimitTest.
 */
class CallersTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final Callers callers = new Callers("", "X-Forwarded-For");

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    @Test
    void an_authenticated_user_is_the_caller_whatever_its_address() {
        Message basic = message("192.0.2.10");
        basic.setHeader(VertxPlatformHttpConstants.AUTHENTICATED_USER, User.fromName("alice"));
        assertEquals("user:alice", callers.of(basic));

        Message jwt = message("192.0.2.10");
        jwt.setHeader(VertxPlatformHttpConstants.AUTHENTICATED_USER,
                User.create(new JsonObject().put("sub", "billing-service").put("iss", "https://issuer.example")));
        assertEquals("user:billing-service", callers.of(jwt));
    }

    @Test
    void without_a_user_the_caller_is_the_address_the_call_came_from() {
        assertEquals("address:192.0.2.10", callers.of(message("192.0.2.10")));
        String v6 = callers.of(message("2001:db8::1"));
        assertTrue(v6.startsWith("address:2001:db8:"), v6);
        Message forged = message("192.0.2.10");
        forged.setHeader("X-Forwarded-For", "203.0.113.1");
        assertEquals("address:192.0.2.10", callers.of(forged), "no proxy is trusted: the header counts for nothing");
    }

    @Test
    void trusted_proxies_are_addresses_and_cidr_blocks_of_either_family() {
        Callers.AddressBlock tenSlashEight = Callers.AddressBlock.of("10.0.0.0/8");
        assertTrue(tenSlashEight.contains(Callers.AddressBlock.literal("10.255.3.4")));
        assertFalse(tenSlashEight.contains(Callers.AddressBlock.literal("11.0.0.1")));
        Callers.AddressBlock slash20 = Callers.AddressBlock.of("172.16.0.0/12");
        assertTrue(slash20.contains(Callers.AddressBlock.literal("172.31.255.255")));
        assertFalse(slash20.contains(Callers.AddressBlock.literal("172.32.0.0")));
        Callers.AddressBlock one = Callers.AddressBlock.of("127.0.0.1");
        assertTrue(one.contains(Callers.AddressBlock.literal("127.0.0.1")));
        assertFalse(one.contains(Callers.AddressBlock.literal("127.0.0.2")));
        Callers.AddressBlock v6 = Callers.AddressBlock.of("fd00::/8");
        assertTrue(v6.contains(Callers.AddressBlock.literal("fd12:3456::1")));
        assertTrue(v6.contains(Callers.AddressBlock.literal("[fd12:3456::1]")));
        assertFalse(v6.contains(Callers.AddressBlock.literal("10.0.0.1")), "an IPv4 address is in no IPv6 block");
        assertEquals(3, Callers.AddressBlock.list(" 10.0.0.0/8, 127.0.0.1 ,::1").size());
        assertTrue(Callers.AddressBlock.list(" ").isEmpty());
    }

    @Test
    void a_name_is_no_address_and_is_never_looked_up() {
        assertNull(Callers.AddressBlock.literal("localhost"));
        assertNull(Callers.AddressBlock.literal("proxy.example"));
        assertNull(Callers.AddressBlock.literal("unknown"));
        assertNull(Callers.AddressBlock.literal("fe:ed:me"), "colons and letters beyond hex are no IPv6 address");
        assertNull(Callers.AddressBlock.literal("300.1.1.1"));
    }

    @Test
    void a_bad_trusted_proxy_names_the_setting() {
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> new Callers("10.0.0.0/8, proxy.example", "X-Forwarded-For"));
        assertTrue(name.getMessage().contains("HTTP_TRUSTED_PROXIES") && name.getMessage().contains("proxy.example"),
                name.getMessage());
        IllegalArgumentException prefix = assertThrows(IllegalArgumentException.class,
                () -> new Callers("10.0.0.0/33", "X-Forwarded-For"));
        assertTrue(prefix.getMessage().contains("prefix"), prefix.getMessage());
    }

    private Message message(String remoteAddress) {
        Message message = new DefaultExchange(camel).getMessage();
        message.setHeader(VertxPlatformHttpConstants.REMOTE_ADDRESS, SocketAddress.inetSocketAddress(50000, remoteAddress));
        return message;
    }
}
