package io.github.djlresnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlresnet.model.InvalidInputException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * Exit code 2 is for the app's own user errors only; anything else, a JDK or DJL
 * IllegalArgumentException included, is exit code 1 with one line and the trace in a file.
 */
class ExitCodeTest {

    @TempDir Path tmp;

    /** Fails the way it is told to, through the app's real picocli wiring. */
    @Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        @Parameters String how;

        @Override
        public Integer call() {
            switch (how) {
                case "user" -> throw new InvalidInputException("--thing must be positive, got -1");
                case "jdk" -> {
                    // what the JDK throws for a bad argument inside a library: not the user's fault
                    return Integer.parseInt("seven");
                }
                default -> throw new IllegalStateException("broken\nsecond line");
            }
        }
    }

    @Test
    void userErrorsAreTwoAndTheRestOneWithATraceFile() throws Exception {
        System.setProperty(CrashLog.DIR_PROPERTY, tmp.toString());
        try {
            Outcome user = run("user");
            assertEquals(2, user.code());
            assertEquals("error: --thing must be positive, got -1", user.err().strip());

            Outcome jdk = run("jdk");
            assertEquals(1, jdk.code());
            assertTrue(jdk.err().startsWith("error: NumberFormatException: For input string: \"seven\" (stack trace in "
                    + tmp), jdk.err());
            assertEquals(1, jdk.err().strip().lines().count(), jdk.err());
            Path log = Path.of(jdk.err().substring(jdk.err().indexOf("stack trace in ") + 15, jdk.err().lastIndexOf(')')));
            assertTrue(Files.readString(log).contains("at io.github.djlresnet.cli.ExitCodeTest$Fail.call"),
                    "the trace is in the file");

            Outcome other = run("other");
            assertEquals(1, other.code());
            assertEquals(1, other.err().strip().lines().count(), "only the message's first line: " + other.err());
        } finally {
            System.clearProperty(CrashLog.DIR_PROPERTY);
        }
    }

    private record Outcome(int code, String err) {}

    private static Outcome run(String how) {
        CommandLine cl = Cli.commandLine(new Fail());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        return new Outcome(cl.execute(how), err.toString());
    }
}
