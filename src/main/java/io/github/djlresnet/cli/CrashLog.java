package io.github.djlresnet.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/** Where an unexpected failure's stack trace goes: a file, so that the terminal gets one line. */
final class CrashLog {

    /** Overrides the folder of crash logs (default: the JVM's temp folder). */
    static final String DIR_PROPERTY = "djlresnet.crashDir";

    private CrashLog() {}

    /** Writes {@code error}'s stack trace to a new file; returns "stack trace in FILE" (or why not). */
    static String write(Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path dir = Path.of(System.getProperty(DIR_PROPERTY, System.getProperty("java.io.tmpdir")));
        Path file = dir.resolve("djl-resnet-error-" + time + "-" + ProcessHandle.current().pid() + ".log");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, trace.toString(), StandardCharsets.UTF_8);
            return "stack trace in " + file;
        } catch (IOException e) {
            return "set DJL_RESNET_DEBUG=1 for the stack trace";
        }
    }
}
