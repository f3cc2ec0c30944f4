package io.github.djlresnet.model;

/**
 * A problem with what the user gave: an option, a data file, a model file. Its message is one
 * line that names the thing and what is wrong; the CLI prints it and exits with code 2. Anything
 * else that goes wrong is unexpected (exit code 1), even a JDK or DJL IllegalArgumentException.
 *
 * <p>It extends IllegalArgumentException so that callers that validate arguments, and DJL code
 * that expects that type, keep working.
 */
public class InvalidInputException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
