package io.github.djlresnet.cli;

import picocli.CommandLine;

/** Shared picocli wiring: bad input becomes one line on stderr and exit code 2. */
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
                    if (ex instanceof UserError || ex instanceof IllegalArgumentException) {
                        line.getErr().println("error: " + ex.getMessage());
                        return ex instanceof UserError u ? u.exitCode() : Main.EXIT_BAD_INPUT;
                    }
                    if (System.getenv("DJL_RESNET_DEBUG") != null) {
                        throw ex;
                    }
                    // anything else is our fault or the machine's: still one line
                    line.getErr().println("error: " + ex.getClass().getSimpleName() + ": "
                            + ex.getMessage() + " (set DJL_RESNET_DEBUG=1 for the stack trace)");
                    return Main.EXIT_INTERNAL;
                });
        return cl;
    }
}
