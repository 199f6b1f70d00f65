package io.fibonaccirpc.gateway;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConstants;

/**
 * Who makes a call, for the limit of calls in flight per caller ({@code rpc.caller.max-in-flight}). As the gateway
 * route's step {@code process: ref: callers} it keeps the caller in the variable {@value #VARIABLE}:
 * <ul>
 * <li>{@code user:<name>}, the user the HTTP listener's authentication accepted (basic: the user name; JWT: the
 * token's subject);</li>
 * <li>else {@code address:<ip>}, the address the call came from; when that is a trusted proxy's
 * ({@code http.trusted-proxies}), the last address of the forwarded-for header ({@code http.forwarded-for-header})
 * that is not a trusted proxy's, the one that proxy saw.</li>
 * </ul>
 * A forwarded-for header from anyone else is ignored: a caller could write any address there.
 */
public final class Callers implements Processor {

    /** The exchange variable the gateway route keeps a call's caller in. */
    public static final String VARIABLE = "caller";
    /**
     * The exchange variable that says whether the call's connection is its caller's own (true), or a trusted proxy's,
     * which carries other callers' calls too (false).
     */
    public static final String OWN_CONNECTION = "callerOwnsConnection";

    private final List<AddressBlock> trustedProxies;
    private final String forwardedForHeader;

    /**
     * @param trustedProxies     addresses and CIDR blocks (such as {@code 10.0.0.0/8}), comma-separated; blank: none
     * @param forwardedForHeader the header a trusted proxy puts the caller's address in
     */
    public Callers(String trustedProxies, String forwardedForHeader) {
        this.trustedProxies = AddressBlock.list(trustedProxies);
        this.forwardedForHeader = forwardedForHeader;
    }

    @Override
    public void process(Exchange exchange) {
        Message message = exchange.getMessage();
        exchange.setVariable(VARIABLE, of(message));
        exchange.setVariable(OWN_CONNECTION, !isTrusted(remoteAddress(message)));
    }

    /** The caller of the HTTP request this message came from. */
    String of(Message message) {
        if (message.getHeader(VertxPlatformHttpConstants.AUTHENTICATED_USER) instanceof User user) {
            String name = user.subject();
            if (name == null) {
                name = user.principal().getString("username");
            }
            if (name != null) {
                return "user:" + name;
            }
        }
        String address = remoteAddress(message);
        if (address == null) {
            return "address:unknown";
        }
        if (!trustedProxies.isEmpty() && message instanceof HttpMessage http && isTrusted(address)) {
            String forwarded = forwardedFor(http.getRequest().headers().getAll(forwardedForHeader));
            if (forwarded != null) {
                return "address:" + forwarded;
            }
        }
        return "address:" + address;
    }

    private static String remoteAddress(Message message) {
        Object remote = message.getHeader(VertxPlatformHttpConstants.REMOTE_ADDRESS);
        return remote instanceof SocketAddress socket ? socket.hostAddress() : null;
    }

    /** The last address of the header's values that is not a trusted proxy's; null when there is none. */
    private String forwardedFor(List<String> values) {
        List<String> hops = new ArrayList<>();
        for (String value : values) {
            for (String hop : value.split(",")) {
                String address = hop.trim();
                if (!address.isEmpty()) {
                    hops.add(address);
                }
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            if (!isTrusted(hops.get(i))) {
                return hops.get(i).toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    private boolean isTrusted(String address) {
        if (address == null || trustedProxies.isEmpty()) {
            return false;
        }
        byte[] bytes = AddressBlock.literal(address);
        if (bytes == null) {
            return false;
        }
        for (AddressBlock block : trustedProxies) {
            if (block.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /** An address or a CIDR block of addresses, IPv4 or IPv6. */
    record AddressBlock(byte[] network, int prefixBits) {

        static List<AddressBlock> list(String blocks) {
            List<AddressBlock> list = new ArrayList<>();
            if (blocks == null || blocks.isBlank()) {
                return list;
            }
            for (String block : blocks.split(",")) {
                list.add(of(block.trim()));
            }
            return List.copyOf(list);
        }

        static AddressBlock of(String block) {
            int slash = block.indexOf('/');
            String address = slash < 0 ? block : block.substring(0, slash);
            byte[] network = literal(address);
            if (network == null) {
                throw new IllegalArgumentException("http.trusted-proxies (HTTP_TRUSTED_PROXIES): '" + block
                        + "' is not an IP address or CIDR block");
            }
            int bits = network.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(block.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > network.length * 8) {
                    throw new IllegalArgumentException("http.trusted-proxies (HTTP_TRUSTED_PROXIES): '" + block
                            + "' has no valid prefix length");
                }
            }
            return new AddressBlock(network, bits);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int whole = prefixBits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[whole] & mask) == (network[whole] & mask);
        }

        private static boolean isIpv4(String text) {
            String[] octets = text.split("\\.", -1);
            if (octets.length != 4) {
                return false;
            }
            for (String octet : octets) {
                if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(Character::isDigit)
                        || Integer.parseInt(octet) > 255) {
                    return false;
                }
            }
            return true;
        }

        private static boolean isIpv6Char(int c) {
            return Character.digit(c, 16) >= 0 || c == ':' || c == '.';
        }

        /** The bytes of an IP address literal; null for anything else (no name is looked up). */
        static byte[] literal(String address) {
            String text = address.startsWith("[") && address.endsWith("]")
                    ? address.substring(1, address.length() - 1) : address;
            // only literals reach InetAddress, which would look anything else up as a host name
            if (text.indexOf(':') < 0 ? !isIpv4(text) : !text.chars().allMatch(Callers.AddressBlock::isIpv6Char)) {
                return null;
            }
            try {
                return InetAddress.getByName(text).getAddress();
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }
}
