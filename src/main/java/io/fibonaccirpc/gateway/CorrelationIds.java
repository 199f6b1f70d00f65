package io.fibonaccirpc.gateway;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

import io.fibonaccirpc.observe.CallLogging;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.ExpressionAdapter;

/**
 * A new correlation id for each call: a random (version 4) UUID, as {@code UUID.randomUUID()} makes, from a
 * cryptographically strong generator of each thread's own. {@code UUID.randomUUID()} (and Camel's
 * {@code ${uuid(random)}}) shares one generator that takes a lock and reads {@code /dev/urandom} on every call,
 * on the event loop that every HTTP call of the gateway goes through (measured: about 3% of the gateway's CPU
 * samples at 64 connections). Ids stay unguessable: a caller sees its own in problem answers.
 */
public final class CorrelationIds extends ExpressionAdapter implements Processor {

    /** The exchange variable a call's correlation id is kept in (the route step {@code process: ref: correlationIds}). */
    public static final String VARIABLE = CallLogging.CORRELATION_ID;

    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(CorrelationIds::newGenerator);

    /** A new random UUID, as text. */
    public static String next() {
        byte[] bytes = new byte[16];
        RANDOM.get().nextBytes(bytes);
        bytes[6] = (byte) ((bytes[6] & 0x0f) | 0x40); // version 4
        bytes[8] = (byte) ((bytes[8] & 0x3f) | 0x80); // IETF variant
        long most = 0;
        long least = 0;
        for (int i = 0; i < 8; i++) {
            most = (most << 8) | (bytes[i] & 0xff);
            least = (least << 8) | (bytes[i + 8] & 0xff);
        }
        return new UUID(most, least).toString();
    }

    @Override
    public Object evaluate(Exchange exchange) {
        return next();
    }

    /** A new correlation id into the exchange variable {@value #VARIABLE}. */
    @Override
    public void process(Exchange exchange) {
        exchange.setVariable(VARIABLE, next());
    }

    private static SecureRandom newGenerator() {
        try {
            return SecureRandom.getInstance("DRBG"); // seeded once from the system, then no system call per id
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }
}
