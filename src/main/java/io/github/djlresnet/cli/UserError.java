package io.github.djlresnet.cli;

/** A problem with what the user asked for: printed as one line, with its own exit code. */
public final class UserError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public UserError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public UserError(String message) {
        this(message, Main.EXIT_BAD_INPUT);
    }

    public int exitCode() {
        return exitCode;
    }
}
