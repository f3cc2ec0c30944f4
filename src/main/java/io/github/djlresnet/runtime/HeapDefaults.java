package io.github.djlresnet.runtime;

import java.util.List;
import java.util.Set;

/**
 * Java heap options for the relaunched {@code train} and {@code benchmark} JVM, used when the user
 * chose no collector or heap size: the serial collector with a 32 MiB initial heap and a 16 MiB
 * young generation.
 *
 * <p>Why: the training loop makes a steady stream of small short-lived Java objects (NDArray
 * handles, lists, metrics). With java's default G1 and its initial heap of 1/64 of RAM, the young
 * generation takes new heap regions until it reaches its size goal, and every region it touches
 * stays resident: at w28g training the process grew from 599 to 806 MiB over the first ~300 steps,
 * 243 MiB of it Java heap, while LibTorch's memory stayed flat (bench/RESULTS.md, "Peak RSS over
 * long runs"). A young generation of 16 MiB is collected in well under a millisecond, and the
 * heap grows as needed (the datasets live there) up to java's default maximum.
 */
public final class HeapDefaults {

    /** The options added. */
    public static final List<String> OPTIONS = List.of("-XX:+UseSerialGC", "-Xms32m", "-Xmn16m");

    /** The commands whose child JVM gets them ({@code score} runs Spark, which sizes its own heap). */
    static final Set<String> COMMANDS = Set.of("train", "benchmark");

    /** Option prefixes by which the user has chosen a collector or a heap size. */
    private static final List<String> USER_CHOICES = List.of("-Xms", "-Xmx", "-Xmn", "-XX:MaxHeapSize",
            "-XX:InitialHeapSize", "-XX:NewSize", "-XX:MaxNewSize", "-XX:MaxRAM", "-XX:InitialRAMPercentage",
            "-XX:MaxRAMPercentage");

    private HeapDefaults() {}

    /**
     * The options to add to the child of {@code args}: {@link #OPTIONS} for {@code train} and
     * {@code benchmark} unless the user's options choose a collector or heap size; else none.
     */
    static List<String> forChild(String[] args, UserJvmOptions user) {
        return args.length > 0 && COMMANDS.contains(args[0]) && !user.any(HeapDefaults::chosen) ? OPTIONS : List.of();
    }

    private static boolean chosen(String option) {
        boolean collector = option.startsWith("-XX:+Use") && option.endsWith("GC"); // -XX:+UseG1GC, ...
        return collector || USER_CHOICES.stream().anyMatch(option::startsWith);
    }
}
