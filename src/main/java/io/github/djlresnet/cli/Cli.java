package io.github.djlresnet.cli;

import io.github.djlresnet.model.InvalidInputException;
import picocli.CommandLine;

/**
 * Shared picocli wiring. The app's own user errors (bad options, data or model files) become one
 * line on stderr and exit code 2; anything unexpected, a JDK or DJL IllegalArgumentException
 * included, becomes one line and exit code 1, with the stack trace in a log file.
 */
final class Cli {

    private Cli() {}

    static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(
                (ex, args) -> {
                    ex.getCommandLine().getErr().println("error: " + ex.getMessage());
                    ex.getCommandLine()
                            .getErr()
                            .println("try '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                                    + " --help'");
                    return Main.EXIT_BAD_INPUT;
                });
        cl.setExecutionExceptionHandler(
                (ex, line, parseResult) -> {
                    if (ex instanceof UserError u) {
                        line.getErr().println("error: " + ex.getMessage());
                        return u.exitCode();
                    }
                    if (ex instanceof InvalidInputException) {
                        line.getErr().println("error: " + ex.getMessage());
                        return Main.EXIT_BAD_INPUT;
                    }
                    if (System.getenv("DJL_RESNET_DEBUG") != null) {
                        throw ex;
                    }
                    // anything else is our fault or the machine's: one line here, the trace in a file
                    line.getErr().println("error: " + ex.getClass().getSimpleName() + ": "
                            + firstLine(ex.getMessage()) + " (" + CrashLog.write(ex) + ")");
                    return Main.EXIT_INTERNAL;
                });
        return cl;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
