package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.util.Utils;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Runs {@code ServingConsumer} (src/test/resources/serving-consumer), a DJL app that knows nothing
 * of this project, in a child JVM whose class path holds DJL's jars only.
 */
public final class ForeignApp {

    /** Maven paths of DJL (api, PyTorch engine, JNI, native CPU library) and their runtime dependencies. */
    private static final List<String> DJL_ONLY =
            List.of("/ai/djl/api/", "/ai/djl/pytorch/", "/com/google/code/gson/", "/net/java/dev/jna/",
                    "/org/apache/commons/commons-compress/", "/commons-io/", "/commons-codec/", "/org/slf4j/slf4j-api/");

    private ForeignApp() {}

    /**
     * Loads each model (folder or zip) through {@code Criteria} and classifies the images; returns
     * the app's output ({@code result <model> <image> <probability> <class>} lines), after
     * checking that it exited with 0.
     */
    public static String run(Path tmp, List<Path> models, List<Path> images) throws Exception {
        String cp = String.join(File.pathSeparator, djlClassPath());
        Path classes = compileConsumer(tmp, cp);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp", classes + File.pathSeparator + cp,
                "ServingConsumer"));
        models.forEach(m -> command.add(m.toString()));
        command.add("--");
        images.forEach(p -> command.add(p.toString()));
        Path output = tmp.resolve("foreign-app-out.txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        // DJL unpacks a zip into its cache: a temporary one; LibTorch stays where this JVM has it
        pb.environment().put("DJL_CACHE_DIR", tmp.resolve("djl-cache").toString());
        pb.environment().put("ENGINE_CACHE_DIR", Utils.getEngineCacheDir().toString());
        Process process = pb.start();
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly();
        }
        String out = Files.readString(output);
        assertTrue(finished, "child JVM timed out:\n" + out);
        assertEquals(0, process.exitValue(), "child JVM failed:\n" + out);
        return out;
    }

    /** DJL's jars from this JVM's class path, and nothing else (no target/classes, picocli, logback, xchart). */
    static List<String> djlClassPath() {
        List<String> all = List.of(System.getProperty("java.class.path").split(File.pathSeparator));
        List<String> djl = all.stream()
                .filter(e -> e.endsWith(".jar"))
                .filter(e -> DJL_ONLY.stream().anyMatch(m -> e.replace(File.separatorChar, '/').contains(m)))
                .collect(Collectors.toList());
        assertTrue(djl.stream().anyMatch(e -> e.contains("pytorch-native-cpu")), "native LibTorch jar in " + all);
        assertTrue(djl.stream().anyMatch(e -> e.contains("pytorch-engine")), "engine jar in " + all);
        assertTrue(djl.stream().noneMatch(e -> e.contains("target") || e.contains("picocli")
                || e.contains("logback") || e.contains("xchart") || e.contains("basicdataset")), djl.toString());
        return djl;
    }

    private static Path compileConsumer(Path tmp, String cp) throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src")).resolve("ServingConsumer.java");
        try (InputStream in = ForeignJvmTest.class.getResourceAsStream("/serving-consumer/ServingConsumer.java")) {
            Files.copy(in, src);
        }
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-classpath", cp, "-d", classes.toString(), src.toString());
        assertEquals(0, rc, "the consumer compiles against DJL alone");
        try (Stream<Path> s = Files.list(classes)) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().equals("ServingConsumer.class")));
        }
        return classes;
    }
}
