package io.github.djlresnet.runtime;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;

/**
 * Restarts the program in a child JVM with an allocator fit for LibTorch's large tensors: tcmalloc
 * where it is installed, else glibc malloc with one arena. Only a fresh process can get either:
 * {@code LD_PRELOAD} and {@code MALLOC_ARENA_MAX} are read when a process starts, and
 * {@code mvn exec:java} runs in Maven's own JVM.
 *
 * <p>Why: a training step allocates and frees hundreds of MB of activations and gradients. glibc
 * gives each JVM thread a secondary arena whose heaps are at most 64 MiB, so a larger activation (a
 * batch of 32 at 224 px has 100 MB ones) is mmapped fresh and unmapped again on every step. One
 * arena with no trimming ({@link MallocTuning}) fixes the speed but keeps every freed block, 2.6 GiB
 * at 224 px against PyTorch's 1.9. tcmalloc (Debian's {@code libtcmalloc-minimal4}) reuses freed
 * spans as fast and returns the rest: 1.5 GiB at the same speed (bench/RESULTS.md, change 7).
 *
 * <p>{@code -Ddjlresnet.malloc=}{@code auto} (the default) picks as above, {@code glibc} keeps
 * glibc malloc with one arena, {@code default} runs in this process as it is. No relaunch when
 * {@code MALLOC_ARENA_MAX} or a {@code glibc.malloc.arena_max} tunable is already set, off Linux,
 * or inside a relaunched child; tcmalloc is not added when {@code LD_PRELOAD} is already set.
 */
public final class AllocatorRelaunch {

    /** Set in the child, so it never relaunches again. */
    static final String MARKER = "DJL_RESNET_RELAUNCHED";

    static final String ARENA_MAX = "MALLOC_ARENA_MAX";

    static final String PRELOAD = "LD_PRELOAD";

    /** The system property choosing the allocator, and its values. */
    public static final String SETTING = "djlresnet.malloc";

    private static final List<String> SETTINGS = List.of("auto", "glibc", "default");

    /** tcmalloc's shared library, as Debian and others name it (the minimal build needs no libunwind). */
    private static final List<String> TCMALLOC_NAMES = List.of("libtcmalloc_minimal.so.4", "libtcmalloc.so.4");

    /** System properties that configure this program, DJL or logging, passed on to the child. */
    private static final List<String> PASSED_PROPERTY_PREFIXES =
            List.of("ai.djl.", "djlresnet.", "logback.", "org.slf4j.", "DJL_");

    private AllocatorRelaunch() {}

    /** The one-line error for a {@code -Ddjlresnet.malloc} value that is not a setting, else empty. */
    public static Optional<String> settingError(Properties properties) {
        String value = properties.getProperty(SETTING, "auto");
        return SETTINGS.contains(value)
                ? Optional.empty()
                : Optional.of("-D" + SETTING + " must be one of " + String.join(", ", SETTINGS) + ", got '" + value + "'");
    }

    /** Whether to relaunch, given this process's environment and system properties. */
    static boolean wanted(Map<String, String> env, Properties properties) {
        String os = properties.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return os.startsWith("linux")
                && !"default".equals(properties.getProperty(SETTING))
                && env.get(MARKER) == null
                && env.get(ARENA_MAX) == null
                && !env.getOrDefault("GLIBC_TUNABLES", "").contains("glibc.malloc.arena_max");
    }

    /**
     * tcmalloc's library for the child to preload: empty with {@code -Ddjlresnet.malloc=glibc}, when
     * the user preloads something already, or when none is installed in {@code libraryDirs}.
     */
    static Optional<Path> tcmalloc(Map<String, String> env, Properties properties, List<Path> libraryDirs) {
        if ("glibc".equals(properties.getProperty(SETTING)) || !env.getOrDefault(PRELOAD, "").isBlank()) {
            return Optional.empty();
        }
        for (Path dir : libraryDirs) {
            for (String name : TCMALLOC_NAMES) {
                if (Files.isRegularFile(dir.resolve(name))) {
                    return Optional.of(dir.resolve(name));
                }
            }
        }
        return Optional.empty();
    }

    /** Where Linux distributions put shared libraries, this machine's multiarch folder first. */
    static List<Path> libraryDirs() {
        String arch = System.getProperty("os.arch", "");
        String multiarch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            default -> arch + "-linux-gnu";
        };
        return List.of(Path.of("/usr/lib", multiarch), Path.of("/lib", multiarch), Path.of("/usr/lib64"),
                Path.of("/usr/lib"), Path.of("/usr/local/lib"));
    }

    /**
     * Runs {@code mainClass args} in a child JVM with the chosen allocator and returns its exit
     * code, or returns empty when no relaunch is wanted or the child could not be started (the
     * caller then runs in this process, as before).
     */
    public static OptionalInt relaunch(Class<?> mainClass, String[] args) {
        Map<String, String> env = System.getenv();
        if (!wanted(env, System.getProperties())) {
            return OptionalInt.empty();
        }
        return run(command(mainClass, args), tcmalloc(env, System.getProperties(), libraryDirs()));
    }

    /**
     * Runs a command line built by {@link #command} with {@code tcmalloc} preloaded if given, and
     * one glibc arena either way, for when the preload does not take (ld.so skips a library it
     * cannot load, with a warning).
     */
    static OptionalInt run(List<String> command, Optional<Path> tcmalloc) {
        if (command.isEmpty()) {
            return OptionalInt.empty();
        }
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put(ARENA_MAX, "1");
        builder.environment().put(MARKER, "1");
        tcmalloc.ifPresent(lib -> builder.environment().put(PRELOAD, lib.toString()));
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
        // A small young generation for train/benchmark, C1 only for score, unless the user chose
        // (HeapDefaults, JitDefaults)
        UserJvmOptions user = new UserJvmOptions(jvmOptions, System.getenv().getOrDefault("JAVA_TOOL_OPTIONS", "")
                + " " + System.getenv().getOrDefault("JDK_JAVA_OPTIONS", ""));
        command.addAll(HeapDefaults.forChild(args, user));
        command.addAll(JitDefaults.forChild(args, user));
        // Spark's --add-opens list for `score` (Java 17), unless this JVM was started with it
        SparkModuleOptions.forCommand(args).stream().filter(o -> !jvmOptions.contains(o)).forEach(command::add);
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
