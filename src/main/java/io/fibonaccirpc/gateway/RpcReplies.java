package io.fibonaccirpc.gateway;

import io.fibonaccirpc.wire.InputText;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;


/** Reads a reply from {@code rpc_queue}: the decimal value, or the server's error reply. */
public final class RpcReplies implements Processor {

    private static final int MAX_MESSAGE = 512;
    /** The characters of a reply that is not a value the problem's detail quotes. */
    private static final int QUOTED_REPLY = 64;

    /** The route's step: the reply's body becomes its value, or its error is thrown (see {@link #value}). */
    @Override
    public void process(Exchange exchange) {
        Message reply = exchange.getMessage();
        reply.setBody(value(reply.getHeader(RpcError.HEADER, String.class), reply.getBody(String.class)));
    }

    /**
     * @param  errorCode    the {@value RpcError#HEADER} header of the reply, null on success
     * @param  body         the reply body as text
     * @return              fib(n) as decimal text
     * @throws RpcException the server's error, or BAD_REPLY when the body is not a decimal value
     */
    public String value(String errorCode, String body) {
        if (errorCode != null) {
            String message = body == null || body.isBlank() ? "the server replied " + errorCode
                    : RpcError.messageOf(errorCode, body.strip());
            throw RpcException.fromReply(errorCode, InputText.quote(message, MAX_MESSAGE));
        }
        if (body == null || body.isEmpty() || !body.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new RpcException(RpcError.BAD_REPLY,
                    "the server replied with something other than a decimal value: "
                            + (body == null ? "no body" : InputText.quote(body, QUOTED_REPLY)));
        }
        return body;
    }
}
