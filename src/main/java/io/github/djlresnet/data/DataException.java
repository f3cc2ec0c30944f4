package io.github.djlresnet.data;

import io.github.djlresnet.model.InvalidInputException;

/**
 * Bad data or data options. The message is one line naming the file (or option) and what is
 * wrong; the CLI prints it as {@code error: <message>} and exits with code 2.
 */
public final class DataException extends InvalidInputException {

    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
