package io.github.djlresnet.cli;

import io.github.djlresnet.runtime.AllocatorRelaunch;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point: picocli subcommands, no logic of their own. */
@Command(
        name = "djl-resnet",
        mixinStandardHelpOptions = true,
        version = "djl-resnet 0.1.0 (DJL 0.36.0, LibTorch 2.7.1)",
        description = "Define, train, evaluate, export and benchmark ResNet-18/34 with DJL on LibTorch.",
        subcommands = {TrainCommand.class, ExportCommand.class, ImportCommand.class, SummaryCommand.class, BenchmarkCommand.class, PredictCommand.class, EvaluateCommand.class, ScoreCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code for bad input (options, files, data). */
    public static final int EXIT_BAD_INPUT = 2;

    /** Exit code for an unexpected failure (a bug, or the machine: disk full, out of memory). */
    public static final int EXIT_INTERNAL = 1;

    /** Exit code for a training run stopped because the loss diverged. */
    public static final int EXIT_DIVERGED = 3;

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        return Cli.commandLine(new Main()).execute(args);
    }

    /** Runs the command line with the given output and error streams. */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        picocli.CommandLine cl = Cli.commandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    /**
     * The commands that restart in a child JVM: training and benchmarks, for tcmalloc (or one glibc
     * arena), where it was measured to pay: their 224 px steps ran at 0.64x with glibc's defaults
     * (bench/RESULTS.md, changes 6 and 7); and score, which needs Spark's --add-opens list on Java 17.
     * The other commands are short or light, and a second JVM would only add its start-up time
     * (README, "Memory allocator").
     */
    static final Set<String> RELAUNCHED = Set.of("train", "benchmark", "score");

    public static void main(String[] args) {
        boolean helpOnly = args.length == 0
                || List.of(args).stream().anyMatch(List.of("-h", "--help", "-V", "--version", "help")::contains);
        boolean relaunch = !helpOnly && RELAUNCHED.contains(args[0]);
        Optional<String> badSetting = AllocatorRelaunch.settingError(System.getProperties());
        if (badSetting.isPresent()) {
            System.err.println("error: " + badSetting.get());
            System.exit(EXIT_BAD_INPUT);
        }
        // LibTorch's big tensors need tcmalloc or glibc's single-arena setting, which only a fresh process gets
        OptionalInt relaunched = relaunch ? AllocatorRelaunch.relaunch(Main.class, args) : OptionalInt.empty();
        int code = relaunched.isPresent() ? relaunched.getAsInt() : execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}
