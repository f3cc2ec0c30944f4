package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import ai.djl.util.Utils;
import io.github.djlresnet.data.ImageSet;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exported folder works in a JVM that has DJL and nothing of this project. */
class ForeignJvmTest {

    /** Maven paths of DJL (api, PyTorch engine, JNI, native CPU library) and their runtime dependencies. */
    private static final List<String> DJL_ONLY =
            List.of("/ai/djl/api/", "/ai/djl/pytorch/", "/com/google/code/gson/", "/net/java/dev/jna/",
                    "/org/apache/commons/commons-compress/", "/commons-io/", "/commons-codec/", "/org/slf4j/slf4j-api/");

    @TempDir Path tmp;

    @Test
    void aPlainDjlAppClassifiesLikeOurPredictor() throws Exception {
        Path folder = Fixtures.exported();
        Path zip = ModelLoaderTest.zip(folder, tmp.resolve("model.zip"), "fmnist-resnet18/");
        ImageSet test = Fixtures.test();
        List<Path> pngs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            pngs.add(Fixtures.writeGrayPng(test, i, tmp.resolve("img" + i + ".png")));
        }

        List<String> classPath = djlClassPath();
        String cp = String.join(File.pathSeparator, classPath);
        Path classes = compileConsumer(cp);

        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp", classes + File.pathSeparator + cp,
                "ServingConsumer", folder.toString(), zip.toString(), "--"));
        pngs.forEach(p -> command.add(p.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("out.txt").toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        // DJL unpacks the zip into its cache: a temporary one; LibTorch stays where this JVM has it
        pb.environment().put("DJL_CACHE_DIR", tmp.resolve("djl-cache").toString());
        pb.environment().put("ENGINE_CACHE_DIR", Utils.getEngineCacheDir().toString());
        Process process = pb.start();
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly();
        }
        String out = Files.readString(tmp.resolve("out.txt"));
        assertTrue(finished, "child JVM timed out:\n" + out);
        assertEquals(0, process.exitValue(), "child JVM failed:\n" + out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.contains("isolated true"), "the child cannot see this project's classes:\n" + out);
        for (int m = 0; m < 2; m++) {
            String prefix = "block " + m + " " + NormalizedBlock.class.getName() + " from ";
            String block = lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(
                    () -> new AssertionError("no block line:\n" + out));
            assertTrue(block.endsWith(ModelFolder.JAR), "factory classes come from the model's jar: " + block);
        }

        try (ImagePredictor ours = ImagePredictor.open(folder)) {
            for (int i = 0; i < pngs.size(); i++) {
                Classifications.Classification best = ours.classify(pngs.get(i), 1).top().get(0);
                for (int m = 0; m < 2; m++) {
                    String start = "result " + m + " " + i + " ";
                    String line = lines.stream().filter(l -> l.startsWith(start)).findFirst().orElseThrow(
                            () -> new AssertionError("no " + start + "line:\n" + out));
                    String[] parts = line.substring(start.length()).split(" ", 2);
                    assertEquals(best.getClassName(), parts[1], "image " + i + ", model " + m);
                    assertEquals(best.getProbability(), Double.parseDouble(parts[0]), 1e-5, "image " + i);
                }
            }
        }
    }

    /** DJL's jars from this JVM's class path, and nothing else (no target/classes, picocli, logback, xchart). */
    private static List<String> djlClassPath() {
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

    private Path compileConsumer(String cp) throws Exception {
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
