package io.fibonaccirpc.server;

/** A request whose caller's deadline has passed: the server route's configuration drops it, uncomputed. */
public class RequestExpired extends RequestRefused {

    public RequestExpired(String replyTo) {
        super(RequestAdmission.Verdict.EXPIRED, replyTo);
    }
}
