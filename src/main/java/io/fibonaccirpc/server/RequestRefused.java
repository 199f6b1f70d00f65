package io.fibonaccirpc.server;

/**
 * A request a server does not compute: it has no {@code reply_to}, or one that is not a reply address. The server
 * route's configuration dead-letters it, unanswered.
 */
public class RequestRefused extends RuntimeException {

    private final RequestAdmission.Verdict verdict;

    public RequestRefused(RequestAdmission.Verdict verdict, String replyTo) {
        // no stack trace: a refusal is an answer, not a failure to look into
        super(verdict + (replyTo == null ? "" : " (reply_to " + replyTo + ")"), null, false, false);
        this.verdict = verdict;
    }

    public RequestAdmission.Verdict getVerdict() {
        return verdict;
    }
}
