package io.github.djlresnet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages depend one way: model <- data <- runtime <- train, serving <- cli, and train and
 * serving never import each other. Read from the sources' import lines.
 */
class ArchitectureTest {

    /** What each package may import from the project. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "model", Set.of("model"),
            "data", Set.of("model", "data"),
            "runtime", Set.of("model", "data", "runtime"),
            "train", Set.of("model", "data", "runtime", "train"),
            "serving", Set.of("model", "data", "runtime", "serving"),
            "cli", Set.of("model", "data", "runtime", "train", "serving", "cli"));

    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?io\\.github\\.djlresnet\\.(\\w+)\\.", Pattern.MULTILINE);

    @Test
    void packagesDependOneWay() throws IOException {
        Path root = Path.of("src", "main", "java", "io", "github", "djlresnet");
        List<String> wrong = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(root)) {
            for (Path file : sources.filter(f -> f.toString().endsWith(".java")).toList()) {
                files++;
                String pkg = root.relativize(file).getName(0).toString();
                Set<String> allowed = ALLOWED.get(pkg);
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) {
                    if (allowed == null || !allowed.contains(m.group(1))) {
                        wrong.add(root.relativize(file) + " imports " + m.group(1));
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(true, files > 50, "read the sources: " + files);
    }
}
