package io.github.djlresnet.runtime;

import java.util.List;
import java.util.function.Predicate;

/**
 * The JVM options the user gave, as a relaunched child inherits them: this JVM's own command-line
 * options and the {@code JAVA_TOOL_OPTIONS} / {@code JDK_JAVA_OPTIONS} of its environment. The
 * child's defaults ({@link HeapDefaults}, {@link JitDefaults}) step aside where the user chose.
 */
record UserJvmOptions(List<String> jvmOptions, String toolOptions) {

    /** Whether any of the user's options is one of {@code chosen}. */
    boolean any(Predicate<String> chosen) {
        return jvmOptions.stream().anyMatch(chosen) || List.of(toolOptions.trim().split("\\s+")).stream().anyMatch(chosen);
    }
}
