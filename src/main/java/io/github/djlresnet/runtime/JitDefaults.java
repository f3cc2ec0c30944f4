package io.github.djlresnet.runtime;

import java.util.List;
import java.util.Set;

/**
 * The just-in-time compiler of the relaunched {@code score} JVM, used when the user chose no JIT
 * option: the client compiler (C1) only, {@code -XX:TieredStopAtLevel=1}.
 *
 * <p>Why: a {@code score} JVM's own Java work is glue (Spark's planning and rows, PNG decoding,
 * Parquet); its time goes to LibTorch. With the default tiered compilation, the optimizing C2
 * compiler spends the job's first ~20 s compiling Spark, Hadoop and Parquet code on the same cores
 * as the tasks: in {@code local[2]} the first partitions ran at 620-670 img/s a task and reached
 * ~1,000 only after that, while with C1 alone they start at ~900 and end at the same ~1,000; on
 * 60,000 PNGs the job took 33.6-34.3 s instead of 36.6-37.7 (bench/RESULTS.md, "Scoring on Spark").
 * Executors that spark-submit starts on a cluster take their options from
 * {@code spark.executor.extraJavaOptions} (docs/SCALING.md).
 */
public final class JitDefaults {

    /** The options added. */
    public static final List<String> OPTIONS = List.of("-XX:TieredStopAtLevel=1");

    /** The commands whose child JVM gets them. */
    static final Set<String> COMMANDS = Set.of("score");

    /** Option prefixes by which the user has chosen how the JIT compiles. */
    private static final List<String> USER_CHOICES = List.of("-XX:TieredStopAtLevel", "-XX:+TieredCompilation",
            "-XX:-TieredCompilation", "-XX:CICompilerCount", "-Xint", "-Xcomp", "-XX:+UseJVMCICompiler");

    private JitDefaults() {}

    /** {@link #OPTIONS} for the child of {@code score} unless the user chose a JIT option; else none. */
    static List<String> forChild(String[] args, UserJvmOptions user) {
        return args.length > 0 && COMMANDS.contains(args[0])
                && !user.any(o -> USER_CHOICES.stream().anyMatch(o::startsWith)) ? OPTIONS : List.of();
    }
}
