package io.github.djlresnet.train;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;

/**
 * Restarts the program in a child JVM whose glibc malloc uses one arena, when the user has not
 * chosen an arena setting.
 *
 * <p>Why: glibc gives each JVM thread a secondary arena whose heaps are at most 64 MiB, so a
 * LibTorch activation larger than that (a batch of 32 at 224 px has 100 MB ones) is mmapped fresh
 * and unmapped again on every step, whatever the mmap threshold. With {@code MALLOC_ARENA_MAX=1}
 * every thread allocates from the main arena, which grows without that cap and keeps freed memory
 * for the next step. glibc reads the setting once, when the process starts, so it cannot be set
 * from inside the JVM; and {@code mvn exec:java} runs in Maven's own JVM. Hence the relaunch.
 *
 * <p>Not done when {@code MALLOC_ARENA_MAX} or a {@code glibc.malloc.arena_max} tunable is
 * already set, off Linux, with {@code -Ddjlresnet.malloc=default}, or inside a relaunched child.
 */
public final class MallocArenaRelaunch {

    /** Set in the child, so it never relaunches again. */
    static final String MARKER = "DJL_RESNET_RELAUNCHED";

    static final String ARENA_MAX = "MALLOC_ARENA_MAX";

    /** System properties that configure this program, DJL or logging, passed on to the child. */
    private static final List<String> PASSED_PROPERTY_PREFIXES =
            List.of("ai.djl.", "djlresnet.", "logback.", "org.slf4j.", "DJL_");

    private MallocArenaRelaunch() {}

    /** Whether to relaunch, given this process's environment and system properties. */
    static boolean wanted(Map<String, String> env, Properties properties) {
        String os = properties.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return os.startsWith("linux")
                && !"default".equals(properties.getProperty("djlresnet.malloc"))
                && env.get(MARKER) == null
                && env.get(ARENA_MAX) == null
                && !env.getOrDefault("GLIBC_TUNABLES", "").contains("glibc.malloc.arena_max");
    }

    /**
     * Runs {@code mainClass args} in a child JVM with one malloc arena and returns its exit code, or
     * returns empty when no relaunch is wanted or the child could not be started (the caller then
     * runs in this process, as before).
     */
    public static OptionalInt relaunch(Class<?> mainClass, String[] args) {
        if (!wanted(System.getenv(), System.getProperties())) {
            return OptionalInt.empty();
        }
        return run(command(mainClass, args));
    }

    /** Runs a command line built by {@link #command} with one malloc arena. */
    static OptionalInt run(List<String> command) {
        if (command.isEmpty()) {
            return OptionalInt.empty();
        }
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put(ARENA_MAX, "1");
        builder.environment().put(MARKER, "1");
        try {
            return OptionalInt.of(waitFor(builder.start()));
        } catch (IOException e) {
            return OptionalInt.empty();
        }
    }

    /** Waits for the child; if this JVM is stopped first (e.g. kill), the child is stopped too. */
    private static int waitFor(Process child) {
        Thread stopChild = new Thread(() -> {
            child.destroy();
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(stopChild);
        while (true) {
            try {
                int code = child.waitFor();
                Runtime.getRuntime().removeShutdownHook(stopChild);
                return code;
            } catch (InterruptedException e) {
                child.destroy();
            } catch (IllegalStateException e) {
                return child.exitValue(); // shutting down already: the hook waits for the child
            }
        }
    }

    /**
     * The child's command line: this JVM's java and options (minus debug agents, whose ports
     * would clash), this program's configuration properties, its class path, the main class, args.
     * Empty when the class path cannot be told.
     */
    static List<String> command(Class<?> mainClass, String[] args) {
        String classPath = classPath(mainClass);
        if (classPath.isEmpty()) {
            return List.of();
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String option : jvmOptions) {
            if (!option.startsWith("-agentlib") && !option.startsWith("-javaagent")
                    && !option.startsWith("-Xrunjdwp") && !option.startsWith("-Xdebug")) {
                command.add(option);
            }
        }
        for (String key : System.getProperties().stringPropertyNames()) {
            String option = "-D" + key + "=" + System.getProperty(key);
            if (PASSED_PROPERTY_PREFIXES.stream().anyMatch(key::startsWith) && !jvmOptions.contains(option)) {
                command.add(option);
            }
        }
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }

    /**
     * The class path that loaded {@code mainClass}: the loader's URLs under {@code mvn exec:java}
     * (Maven's own JVM class path is not ours), else {@code java.class.path}.
     */
    static String classPath(Class<?> mainClass) {
        if (mainClass.getClassLoader() instanceof URLClassLoader loader
                && loader != ClassLoader.getSystemClassLoader()) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                try {
                    entries.add(Path.of(url.toURI()).toString());
                } catch (URISyntaxException | IllegalArgumentException e) {
                    return "";
                }
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path", "");
    }
}
