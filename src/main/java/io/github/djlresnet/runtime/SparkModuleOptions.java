package io.github.djlresnet.runtime;

import java.util.List;

/**
 * The JVM options Apache Spark 3.5 needs on Java 17 (its {@code --add-opens} list), for the one
 * command that runs Spark. They are read from Spark's own launcher
 * ({@code org.apache.spark.launcher.JavaModuleOptions}), so they follow the Spark on the class
 * path; without Spark there, there are none. Spark's classes are loaded only when asked for.
 */
public final class SparkModuleOptions {

    /** The command that runs Spark, and so needs the options. */
    public static final String COMMAND = "score";

    private static final String LAUNCHER_OPTIONS = "org.apache.spark.launcher.JavaModuleOptions";

    /** A package Spark opens and cannot start without (its storage code reads direct buffers). */
    private static final String PROBE_PACKAGE = "sun.nio.ch";

    private SparkModuleOptions() {}

    /** Spark's option list when {@code args} run {@value #COMMAND}, else empty. */
    public static List<String> forCommand(String[] args) {
        return args.length > 0 && COMMAND.equals(args[0]) ? options() : List.of();
    }

    /** Spark's option list, or empty when Spark is not on the class path. */
    public static List<String> options() {
        try {
            Object line = Class.forName(LAUNCHER_OPTIONS).getMethod("defaultModuleOptions").invoke(null);
            return List.of(((String) line).trim().split("\\s+"));
        } catch (ReflectiveOperationException | LinkageError e) {
            return List.of();
        }
    }

    /** Whether this JVM was started with the options (checked on the package Spark needs first). */
    public static boolean inEffect() {
        return Object.class.getModule().isOpen(PROBE_PACKAGE, SparkModuleOptions.class.getModule());
    }
}
