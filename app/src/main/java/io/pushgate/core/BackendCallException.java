package io.pushgate.core;

/** Why a client's call to the backend got no answer; {@link Code#wire()} is the stable code the client sees. */
public final class BackendCallException extends RuntimeException {

    public enum Code {
        /** No backend takes calls ({@code pushgate.events.rpc-url} is not set). */
        UNAVAILABLE("rpc_unavailable"),
        /** The backend did not answer within {@code pushgate.events.rpc-timeout}. */
        TIMEOUT("rpc_timeout"),
        /** The backend answered with an error status or something that is not JSON, or could not be reached. */
        FAILED("rpc_failed"),
        /** The session or the node has as many calls waiting as it may. */
        BUSY("rpc_busy");

        private final String wire;

        Code(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    private final Code code;

    public BackendCallException(Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
